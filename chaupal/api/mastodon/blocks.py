"""Mastodon API: the accounts the caller blocks (`/api/v1/blocks`) and mutes (`/api/v1/mutes`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from chaupal.actions.follows import mute_active
from chaupal.api.deps import ReadBlocks, ReadMutes, SessionDep, SettingsDep
from chaupal.api.mastodon.account_relations import me
from chaupal.api.paging import apply_page, finish, page_from, set_link
from chaupal.models import Account, Block, Mute
from chaupal.render.accounts import render_account

router = APIRouter()


async def _edges(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep,
    model: Any, account_id: int, *extra: Any,
) -> list[dict[str, Any]]:
    """Targets of the caller's edges in `model`, newest first, paged by the edge row id."""
    page = page_from(request, settings.page_accounts_default, settings.page_accounts_max)
    stmt = (
        select(model.id, Account)
        .join(Account, Account.id == model.target_account_id)
        .where(model.account_id == account_id, Account.suspended_at.is_(None), *extra)
    )
    rows = finish((await session.execute(apply_page(stmt, model.id, page))).all(), page)
    set_link(request, response, [row_id for row_id, _ in rows])
    return [render_account(settings, a) for _, a in rows]


@router.get("/api/v1/blocks")
async def blocks(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep, auth: ReadBlocks
) -> list[dict[str, Any]]:
    return await _edges(request, response, session, settings, Block, me(auth).id)


@router.get("/api/v1/mutes")
async def mutes(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep, auth: ReadMutes
) -> list[dict[str, Any]]:
    """Mutes still in force; an expired mute no longer counts."""
    return await _edges(request, response, session, settings, Mute, me(auth).id, mute_active())
