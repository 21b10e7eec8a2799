"""Mastodon API: follow requests to the caller's locked account — list, authorize, reject."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from chaupal.access import access_account
from chaupal.actions.follows import do_authorize_follow_request, do_reject_follow_request
from chaupal.api.deps import ReadFollows, SessionDep, SettingsDep, WriteFollows
from chaupal.api.mastodon.account_relations import me, relationship
from chaupal.api.paging import apply_page, finish, page_from, set_link
from chaupal.errors import not_found
from chaupal.models import Account, FollowRequest
from chaupal.render.accounts import render_account

router = APIRouter()


@router.get("/api/v1/follow_requests")
async def list_follow_requests(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep, auth: ReadFollows
) -> list[dict[str, Any]]:
    """Accounts asking to follow the caller, newest request first, paged by the request's id."""
    page = page_from(request, settings.page_accounts_default, settings.page_accounts_max)
    stmt = (
        select(FollowRequest.id, Account)
        .join(Account, Account.id == FollowRequest.account_id)
        .where(FollowRequest.target_account_id == me(auth).id, Account.suspended_at.is_(None))
    )
    rows = finish((await session.execute(apply_page(stmt, FollowRequest.id, page))).all(), page)
    set_link(request, response, [row_id for row_id, _ in rows])
    return [render_account(settings, a) for _, a in rows]


@router.post("/api/v1/follow_requests/{account_id}/authorize")
async def authorize(
    account_id: str, session: SessionDep, settings: SettingsDep, auth: WriteFollows
) -> dict[str, Any]:
    """404 when that account has no pending request, as in Mastodon."""
    requester = await access_account(session, account_id)
    if not await do_authorize_follow_request(session, me(auth), requester, settings=settings):
        raise not_found()
    return await relationship(session, auth, requester)


@router.post("/api/v1/follow_requests/{account_id}/reject")
async def reject(
    account_id: str, session: SessionDep, settings: SettingsDep, auth: WriteFollows
) -> dict[str, Any]:
    requester = await access_account(session, account_id)
    if not await do_reject_follow_request(session, me(auth), requester, settings=settings):
        raise not_found()
    return await relationship(session, auth, requester)
