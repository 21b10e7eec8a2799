"""Local posts by their ActivityPub id: `/users/{username}/statuses/{id}` is the Note (browsers
are sent to the post's page) and `.../activity` the Create, or the Announce of a boost. Public
and unlisted posts go to anyone; a followers-only post only to a GET signed by a remote account
that follows the author and is not blocked by them (Mastodon's rule); direct posts never.
Deleted posts answer 404/410 (a Tombstone)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.api.federation.common import ActivityResponse, local_account, wants_activity_json
from chaupal.api.federation.signed_fetch import SIGNED_FETCH, SIGNED_FETCH_NEGOTIATED, signed_key_id
from chaupal.config import Settings
from chaupal.errors import ApiError, not_found
from chaupal.federation.keys import actor_uri
from chaupal.federation.render import AS_CONTEXT, announce, create, load_note, status_uri
from chaupal.models import Account, Block, Follow, Status
from chaupal.models.federation import AccountDomainBlock, Tombstone

router = APIRouter()
SHOWN = ("public", "unlisted")


async def _status(
    session: AsyncSession, settings: Settings, username: str, status_id: str, key_id: str | None
) -> tuple[Account, Status]:
    """The author and a post of theirs the caller (signed with `key_id`, or anonymous) may
    fetch; 404/410 otherwise."""
    account = await local_account(session, username)
    if account.suspended_at is not None:
        raise ApiError(410, "Account is suspended")
    if not status_id.isdigit() or len(status_id) > 19:
        raise not_found()
    status = await session.scalar(
        select(Status).where(Status.id == int(status_id), Status.account_id == account.id)
    )
    if status is None:
        uri = f"{actor_uri(settings, account)}/statuses/{status_id}"
        if await session.scalar(select(Tombstone.id).where(Tombstone.uri == uri)):
            raise _Gone(uri)
        raise not_found()
    if status.visibility in SHOWN:
        return account, status
    if status.visibility == "private" and key_id and await _follower_signed(session, account, key_id):
        return account, status
    raise not_found()  # as if it did not exist: direct posts, and private ones to anyone else


async def _follower_signed(session: AsyncSession, author: Account, key_id: str) -> bool:
    """The verified key belongs to a remote account (not suspended) that follows `author` and
    that `author` has not blocked, alone or by domain. An instance actor follows nobody, so a
    GET signed by it alone never qualifies."""
    signer = await session.scalar(
        select(Account.id)
        .where(
            Account.key_id == key_id,
            Account.domain != "",
            Account.suspended_at.is_(None),
            exists().where(Follow.account_id == Account.id, Follow.target_account_id == author.id),
            ~exists().where(Block.account_id == author.id, Block.target_account_id == Account.id),
            ~exists().where(
                AccountDomainBlock.account_id == author.id, AccountDomainBlock.domain == Account.domain
            ),
        )
        .limit(1)
    )
    return signer is not None


def _headers(status: Status, vary: str | None = None) -> dict[str, str]:
    """A followers-only post depends on who signed: no shared cache may keep it."""
    headers = {"Vary": vary} if vary else {}
    if status.visibility not in SHOWN:
        headers["Cache-Control"] = "private, no-store"
    return headers


class _Gone(Exception):
    def __init__(self, uri: str) -> None:
        self.uri = uri


def _tombstone(uri: str) -> ActivityResponse:
    return ActivityResponse(
        {"@context": AS_CONTEXT, "id": uri, "type": "Tombstone"}, status_code=410
    )


@router.get("/users/{username}/statuses/{status_id}", dependencies=[SIGNED_FETCH_NEGOTIATED])
async def get_note(
    username: str, status_id: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    try:
        account, status = await _status(session, settings, username, status_id, signed_key_id(request))
    except _Gone as gone:
        return _tombstone(gone.uri)
    if status.reblog_of_id:
        raise not_found()  # a boost is only an activity: /activity
    if not wants_activity_json(request):
        page = status.url or f"/@{account.username}/{status.id}"
        return RedirectResponse(page, status_code=302, headers={"Vary": "Accept"})
    return ActivityResponse(await load_note(session, settings, status), headers=_headers(status, "Accept"))


@router.get("/users/{username}/statuses/{status_id}/activity", dependencies=[SIGNED_FETCH])
async def get_activity(
    username: str, status_id: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    try:
        account, status = await _status(session, settings, username, status_id, signed_key_id(request))
    except _Gone as gone:
        return _tombstone(f"{gone.uri}/activity")
    if not status.reblog_of_id:
        return ActivityResponse(create(await load_note(session, settings, status)), headers=_headers(status))
    row = (
        await session.execute(
            select(Status, Account)
            .join(Account, Account.id == Status.account_id)
            .where(Status.id == status.reblog_of_id, Status.visibility.in_(SHOWN))
        )
    ).first()
    if row is None:
        raise not_found()
    original, author = row
    if author.suspended_at is not None:
        raise not_found()
    doc = announce(
        settings,
        account,
        status,
        status_uri(settings, author, original),
        actor_uri(settings, author),
        visibility=status.visibility,
    )
    return ActivityResponse(doc)
