"""Local actors at `/users/{username}`: the ActivityPub actor for clients asking for
ActivityStreams, a redirect to the profile page for browsers, a Tombstone (410) once suspended."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.api.federation.common import (
    ActivityResponse,
    local_account,
    public_key_pem,
    wants_activity_json,
)
from chaupal.api.federation.signed_fetch import SIGNED_FETCH_NEGOTIATED
from chaupal.federation.keys import actor_uri
from chaupal.federation.render import actor_document, actor_tombstone
from chaupal.models import Account
from chaupal.models.gov import InstitutionProfile

router = APIRouter()


@router.get("/users/{username}", dependencies=[SIGNED_FETCH_NEGOTIATED])
async def get_actor(
    username: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    account = await local_account(session, username)
    if not wants_activity_json(request):
        return RedirectResponse(
            f"/@{account.username}", status_code=302, headers={"Vary": "Accept"}
        )
    if account.suspended_at is not None:
        return ActivityResponse(actor_tombstone(settings, account), status_code=410)
    institution = None
    if account.kind == "institution":
        institution = await session.get(InstitutionProfile, account.id)
    moved_to = None
    if account.moved_to_account_id:
        target = await session.scalar(
            select(Account).where(Account.id == account.moved_to_account_id)
        )
        moved_to = actor_uri(settings, target) if target is not None else None
    doc = actor_document(
        settings,
        account,
        public_key_pem=await public_key_pem(request, account),
        institution=institution,
        moved_to_uri=moved_to,
    )
    return ActivityResponse(doc, headers={"Vary": "Accept"})
