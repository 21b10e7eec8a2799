"""Mastodon API: what an account does to a status (favourite, reblog, bookmark, pin and their
undos) and who favourited or reblogged it. Mounted under /api/v1/statuses by statuses.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import access_status
from chaupal.actions import interactions
from chaupal.api.deps import (
    MaybeReadAccounts,
    SessionDep,
    SettingsDep,
    WriteAccounts,
    WriteBookmarks,
    WriteFavourites,
    WriteStatuses,
)
from chaupal.api.paging import apply_page, finish, page_from, set_link
from chaupal.api.params import parse
from chaupal.config import Settings
from chaupal.models import Account, Favourite, Status
from chaupal.render.accounts import render_account
from chaupal.render.statuses import render_status

router = APIRouter()


class ReblogIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    visibility: str | None = None


def _viewer_id(auth: Any) -> int | None:
    return auth.account.id if auth is not None and auth.account is not None else None


async def _render(session: AsyncSession, settings: Settings, status: Status, auth: Any) -> Any:
    return await render_status(session, settings, status, auth.account.id)


@router.post("/{status_id}/favourite")
async def favourite(
    status_id: str, session: SessionDep, settings: SettingsDep, auth: WriteFavourites
) -> Any:
    status = await access_status(session, auth.account.id, status_id)
    return await _render(
        session, settings, await interactions.check_favourite(session, auth.account, status, settings=settings), auth
    )


@router.post("/{status_id}/unfavourite")
async def unfavourite(
    status_id: str, session: SessionDep, settings: SettingsDep, auth: WriteFavourites
) -> Any:
    status = await access_status(session, auth.account.id, status_id)
    return await _render(
        session, settings, await interactions.do_unfavourite(session, auth.account, status, settings=settings), auth
    )


@router.post("/{status_id}/reblog")
async def reblog(
    status_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: WriteStatuses,
) -> Any:
    body = await parse(request, ReblogIn)
    status = await access_status(session, auth.account.id, status_id)
    result = await interactions.check_reblog(
        session, settings, auth.account, status, body.visibility or "public"
    )
    return await _render(session, settings, result, auth)


@router.post("/{status_id}/unreblog")
async def unreblog(
    status_id: str, session: SessionDep, settings: SettingsDep, auth: WriteStatuses
) -> Any:
    status = await access_status(session, auth.account.id, status_id)
    original = await interactions.do_unreblog(session, auth.account, status, settings=settings)
    return await _render(session, settings, original, auth)


@router.post("/{status_id}/bookmark")
async def bookmark(
    status_id: str, session: SessionDep, settings: SettingsDep, auth: WriteBookmarks
) -> Any:
    status = await access_status(session, auth.account.id, status_id)
    return await _render(
        session, settings, await interactions.do_bookmark(session, auth.account, status), auth
    )


@router.post("/{status_id}/unbookmark")
async def unbookmark(
    status_id: str, session: SessionDep, settings: SettingsDep, auth: WriteBookmarks
) -> Any:
    status = await access_status(session, auth.account.id, status_id)
    return await _render(
        session, settings, await interactions.do_unbookmark(session, auth.account, status), auth
    )


@router.post("/{status_id}/pin")
async def pin(
    status_id: str, session: SessionDep, settings: SettingsDep, auth: WriteAccounts
) -> Any:
    status = await access_status(session, auth.account.id, status_id)
    return await _render(
        session,
        settings,
        await interactions.check_pin(session, settings, auth.account, status),
        auth,
    )


@router.post("/{status_id}/unpin")
async def unpin(
    status_id: str, session: SessionDep, settings: SettingsDep, auth: WriteAccounts
) -> Any:
    status = await access_status(session, auth.account.id, status_id)
    return await _render(
        session, settings, await interactions.do_unpin(session, auth.account, status), auth
    )


async def _account_page(
    request: Request,
    response: Response,
    session: AsyncSession,
    settings: Settings,
    stmt: Any,
    cursor: Any,
) -> list[dict[str, Any]]:
    page = page_from(request, settings.page_accounts_default, settings.page_accounts_max)
    rows = finish((await session.execute(apply_page(stmt, cursor, page))).all(), page)
    set_link(request, response, [row[0] for row in rows])
    return [render_account(settings, row[1]) for row in rows]


@router.get("/{status_id}/favourited_by")
async def favourited_by(
    status_id: str,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: MaybeReadAccounts,
) -> Any:
    status = await access_status(session, _viewer_id(auth), status_id)
    stmt = (
        select(Favourite.id, Account)
        .join(Account, Account.id == Favourite.account_id)
        .where(Favourite.status_id == status.id, Account.suspended_at.is_(None))
    )
    return await _account_page(request, response, session, settings, stmt, Favourite.id)


@router.get("/{status_id}/reblogged_by")
async def reblogged_by(
    status_id: str,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: MaybeReadAccounts,
) -> Any:
    status = await access_status(session, _viewer_id(auth), status_id)
    stmt = (  # only distributed reblogs, as Mastodon lists them
        select(Status.id, Account)
        .join(Account, Account.id == Status.account_id)
        .where(
            Status.reblog_of_id == status.id,
            Status.visibility.in_(("public", "unlisted")),
            Account.suspended_at.is_(None),
        )
    )
    return await _account_page(request, response, session, settings, stmt, Status.id)
