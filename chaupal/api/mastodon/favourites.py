"""Mastodon API: the caller's favourites and bookmarks, paged by the mark's own ID."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import visible_clause
from chaupal.api.deps import Auth, ReadBookmarks, ReadFavourites, SessionDep, SettingsDep
from chaupal.api.paging import apply_page, finish, page_from, set_link
from chaupal.config import Settings
from chaupal.models import Bookmark, Favourite, Status
from chaupal.render.statuses import render_statuses

router = APIRouter()


async def _marked(
    model: Any,
    request: Request,
    response: Response,
    session: AsyncSession,
    settings: Settings,
    auth: Auth,
) -> list[dict[str, Any]]:
    """Statuses the caller marked with `model`, newest mark first. The Link header carries
    the mark IDs (as Mastodon's does), and statuses the caller can no longer see drop out."""
    assert auth.account is not None
    viewer_id = auth.account.id
    page = page_from(request, settings.page_statuses_default, settings.page_statuses_max)
    stmt = (
        select(model.id, Status)
        .join(Status, Status.id == model.status_id)
        .where(model.account_id == viewer_id, visible_clause(viewer_id))
    )
    rows = finish((await session.execute(apply_page(stmt, model.id, page))).all(), page)
    set_link(request, response, [mark_id for mark_id, _ in rows])
    return await render_statuses(session, settings, [s for _, s in rows], viewer_id)


@router.get("/api/v1/favourites")
async def favourites(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: ReadFavourites,
) -> list[dict[str, Any]]:
    return await _marked(Favourite, request, response, session, settings, auth)


@router.get("/api/v1/bookmarks")
async def bookmarks(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: ReadBookmarks,
) -> list[dict[str, Any]]:
    return await _marked(Bookmark, request, response, session, settings, auth)
