"""Mastodon admin API for trends: moderators list every trending tag, link and status (reviewed or
not) and approve or reject each; only approved items trend publicly (unless auto-approve)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions.trends import do_review_trend
from chaupal.api.deps import Auth, SessionDep, SettingsDep, require_user
from chaupal.api.mastodon.timelines import render_tags
from chaupal.api.mastodon.trends import load_statuses, load_tags, render_link, trend_page
from chaupal.config import Settings
from chaupal.errors import ApiError, not_found
from chaupal.insights.trends.query import admin_trends, review_states, stored_link
from chaupal.models import Status, Tag, TrendScore
from chaupal.render.statuses import render_statuses

router = APIRouter(prefix="/api/v1/admin/trends")
STAFF = ("moderator", "admin")


def _staff(scope: str) -> Any:
    async def dep(auth: Auth = Depends(require_user(scope))) -> Auth:  # noqa: B008
        assert auth.user is not None
        if auth.user.role not in STAFF or auth.acting:
            raise ApiError(403, "This action is not allowed")
        return auth

    return Depends(dep)


StaffRead = Annotated[Auth, _staff("admin:read")]
StaffWrite = Annotated[Auth, _staff("admin:write")]


def _id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 19 or int(raw) >= 2**63:
        raise not_found()
    return int(raw)


def _review_fields(states: dict[int, bool], item_id: int) -> dict[str, Any]:
    state = states.get(item_id)
    return {"trendable": state is True, "requires_review": state is None}


async def _admin_tags(
    session: AsyncSession, settings: Settings, tags: list[Tag]
) -> list[dict[str, Any]]:
    states = await review_states(session, "tag", [t.id for t in tags])
    rendered = await render_tags(session, settings, tags)
    return [
        {**entity, "usable": True, **_review_fields(states, tag.id)}
        for tag, entity in zip(tags, rendered, strict=True)
    ]


async def _admin_links(session: AsyncSession, rows: list[TrendScore]) -> list[dict[str, Any]]:
    states = await review_states(session, "link", [r.item_id for r in rows])
    return [render_link(r, {"id": str(r.item_id), **_review_fields(states, r.item_id)}) for r in rows]


async def _admin_statuses(
    session: AsyncSession, settings: Settings, statuses: list[Status], viewer_id: int
) -> list[dict[str, Any]]:
    states = await review_states(session, "status", [s.id for s in statuses])
    rendered = await render_statuses(session, settings, statuses, viewer_id)
    return [
        {**entity, **_review_fields(states, status.id)}
        for status, entity in zip(statuses, rendered, strict=True)
    ]


@router.get("/tags")
async def list_tags(
    request: Request, response: Response, auth: StaffRead, session: SessionDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    _, offset, limit = await trend_page(request, response, settings.trends_tags_default, settings.trends_kept)
    rows = await admin_trends(session, "tag", offset=offset, limit=limit)
    return await _admin_tags(session, settings, await load_tags(session, rows))


@router.get("/links")
async def list_links(
    request: Request, response: Response, auth: StaffRead, session: SessionDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    _, offset, limit = await trend_page(request, response, settings.trends_links_default, settings.trends_kept)
    return await _admin_links(session, await admin_trends(session, "link", offset=offset, limit=limit))


@router.get("/statuses")
async def list_statuses(
    request: Request, response: Response, auth: StaffRead, session: SessionDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    _, offset, limit = await trend_page(
        request, response, settings.trends_statuses_default, settings.trends_kept
    )
    rows = await admin_trends(session, "status", offset=offset, limit=limit)
    assert auth.account is not None
    return await _admin_statuses(session, settings, await load_statuses(session, rows), auth.account.id)


async def _review_tag(
    session: AsyncSession, settings: Settings, auth: Auth, raw: str, trendable: bool
) -> dict[str, Any]:
    tag = await session.get(Tag, _id(raw))
    if tag is None:
        raise not_found()
    await do_review_trend(session, "tag", tag.id, trendable, auth.account.id if auth.account else None)
    return (await _admin_tags(session, settings, [tag]))[0]


async def _review_link(session: AsyncSession, auth: Auth, raw: str, trendable: bool) -> dict[str, Any]:
    row = await stored_link(session, _id(raw))
    if row is None:
        raise not_found()
    await do_review_trend(session, "link", row.item_id, trendable, auth.account.id if auth.account else None)
    return (await _admin_links(session, [row]))[0]


async def _review_status(
    session: AsyncSession, settings: Settings, auth: Auth, raw: str, trendable: bool
) -> dict[str, Any]:
    assert auth.account is not None
    status = await session.scalar(
        select(Status).where(Status.id == _id(raw), Status.visibility == "public")
    )
    if status is None:
        raise not_found()
    await do_review_trend(session, "status", status.id, trendable, auth.account.id)
    return (await _admin_statuses(session, settings, [status], auth.account.id))[0]


@router.post("/tags/{tag_id}/approve")
async def approve_tag(tag_id: str, auth: StaffWrite, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    return await _review_tag(session, settings, auth, tag_id, True)


@router.post("/tags/{tag_id}/reject")
async def reject_tag(tag_id: str, auth: StaffWrite, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    return await _review_tag(session, settings, auth, tag_id, False)


@router.post("/links/{link_id}/approve")
async def approve_link(link_id: str, auth: StaffWrite, session: SessionDep) -> dict[str, Any]:
    return await _review_link(session, auth, link_id, True)


@router.post("/links/{link_id}/reject")
async def reject_link(link_id: str, auth: StaffWrite, session: SessionDep) -> dict[str, Any]:
    return await _review_link(session, auth, link_id, False)


@router.post("/statuses/{status_id}/approve")
async def approve_status(
    status_id: str, auth: StaffWrite, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    return await _review_status(session, settings, auth, status_id, True)


@router.post("/statuses/{status_id}/reject")
async def reject_status(
    status_id: str, auth: StaffWrite, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    return await _review_status(session, settings, auth, status_id, False)
