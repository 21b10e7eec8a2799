"""Mastodon API: the home, public and hashtag timelines, and the Tag entity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, field_validator
from sqlalchemy import and_, distinct, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import not_filtered_clause, visible_clause
from chaupal.api.deps import MaybeReadStatuses, ReadStatuses, SessionDep, SettingsDep
from chaupal.api.paging import apply_page, finish, page_from, set_link
from chaupal.api.params import parse
from chaupal.config import Settings
from chaupal.errors import not_found
from chaupal.federation.policy import not_silenced
from chaupal.feeds.redis_feed import redis_home_timeline
from chaupal.feeds.redis_store import redis_feeds_on
from chaupal.feeds.sql import home_timeline
from chaupal.lib.ids import id_floor
from chaupal.lib.text import tag_key as text_tag_key
from chaupal.models import MediaAttachment, Status, StatusTag, Tag
from chaupal.render.statuses import render_statuses, tag_url

router = APIRouter()

TAG_HISTORY_DAYS = 7  # Mastodon's Tag.history covers the last week


def tag_key(name: str) -> str:
    """How tag names are matched (casefolded, NFC, as the status parser stores them);
    a leading `#` is ignored."""
    return text_tag_key(name.strip().lstrip("#"))


def _as_list(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):  # `any[0]=a&any[1]=b`
        return list(value.values())
    return value


class PublicParams(BaseModel):
    local: bool = False
    remote: bool = False
    only_media: bool = False


class TagParams(PublicParams):
    any: list[str] = []
    all: list[str] = []
    none: list[str] = []

    _lists = field_validator("any", "all", "none", mode="before")(_as_list)


async def _respond(
    request: Request,
    response: Response,
    session: AsyncSession,
    settings: Settings,
    rows: list[Status],
    viewer_id: int | None,
) -> list[dict[str, Any]]:
    set_link(request, response, [s.id for s in rows])
    return await render_statuses(session, settings, rows, viewer_id)


def _public_stmt(params: PublicParams, viewer_id: int | None) -> Any:
    """Mastodon's public feed: public visibility only, no reblogs, replies included."""
    stmt = select(Status).where(
        Status.visibility == "public",
        Status.reblog_of_id.is_(None),
        visible_clause(viewer_id),
        not_filtered_clause(viewer_id),
        not_silenced(Status.account_id),  # operator's "silence" domain blocks (issue 7)
    )
    if params.local and not params.remote:
        stmt = stmt.where(Status.local.is_(True))
    elif params.remote and not params.local:
        stmt = stmt.where(Status.local.is_(False))
    if params.only_media:
        stmt = stmt.where(exists().where(MediaAttachment.status_id == Status.id))
    return stmt


@router.get("/api/v1/timelines/home")
async def home(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: ReadStatuses,
) -> list[dict[str, Any]]:
    page = page_from(request, settings.page_statuses_default, settings.page_statuses_max)
    assert auth.account is not None
    redis = getattr(request.app.state, "redis", None)
    if redis is not None and redis_feeds_on(settings):
        rows = await redis_home_timeline(session, redis, settings, auth.account, page)
    else:
        rows = await home_timeline(session, auth.account, page)
    return await _respond(request, response, session, settings, rows, auth.account.id)


@router.get("/api/v1/timelines/public")
async def public(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: MaybeReadStatuses,
) -> list[dict[str, Any]]:
    params = await parse(request, PublicParams)
    page = page_from(request, settings.page_statuses_default, settings.page_statuses_max)
    viewer_id = auth.account.id if auth and auth.account else None
    stmt = apply_page(_public_stmt(params, viewer_id), Status.id, page)
    rows = finish((await session.scalars(stmt)).all(), page)
    return await _respond(request, response, session, settings, rows, viewer_id)


async def _tag_ids(session: AsyncSession, names: list[str]) -> list[int]:
    keys = list({tag_key(n) for n in names if tag_key(n)})
    if not keys:
        return []
    return list((await session.scalars(select(Tag.id).where(Tag.name_lower.in_(keys)))).all())


def _tagged(tag_ids: list[int]) -> Any:
    return exists().where(StatusTag.status_id == Status.id, StatusTag.tag_id.in_(tag_ids))


@router.get("/api/v1/timelines/tag/{hashtag}")
async def tag_timeline(
    hashtag: str,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: MaybeReadStatuses,
) -> list[dict[str, Any]]:
    """Statuses tagged `hashtag` or any of `any[]`, with every tag of `all[]` and none of `none[]`."""
    params = await parse(request, TagParams)
    page = page_from(request, settings.page_statuses_default, settings.page_statuses_max)
    viewer_id = auth.account.id if auth and auth.account else None
    wanted = await _tag_ids(session, [hashtag, *params.any])
    if not wanted:
        set_link(request, response, [])
        return []
    stmt = _public_stmt(params, viewer_id).where(_tagged(wanted))
    for name in params.all:
        ids = await _tag_ids(session, [name])
        if not ids:
            return []
        stmt = stmt.where(_tagged(ids))
    excluded = await _tag_ids(session, params.none)
    if excluded:
        stmt = stmt.where(~_tagged(excluded))
    rows = finish((await session.scalars(apply_page(stmt, Status.id, page))).all(), page)
    return await _respond(request, response, session, settings, rows, viewer_id)


async def tag_histories(
    session: AsyncSession, tag_ids: list[int], now: datetime | None = None
) -> dict[int, list[dict[str, str]]]:
    """Per tag, daily uses (statuses) and distinct accounts over the last week, newest day
    first, counted from public and unlisted original statuses: one query per day."""
    now = now or datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    out: dict[int, list[dict[str, str]]] = {tid: [] for tid in tag_ids}
    if not tag_ids:
        return out
    for i in range(TAG_HISTORY_DAYS):
        day = today - timedelta(days=i)
        lo, hi = id_floor(day), id_floor(day + timedelta(days=1))
        counts = {
            tid: (uses, accounts)
            for tid, uses, accounts in (
                await session.execute(
                    select(StatusTag.tag_id, func.count(), func.count(distinct(Status.account_id)))
                    .join(Status, Status.id == StatusTag.status_id)
                    .where(
                        StatusTag.tag_id.in_(tag_ids),
                        and_(StatusTag.status_id >= lo, StatusTag.status_id < hi),
                        Status.visibility.in_(("public", "unlisted")),
                        Status.reblog_of_id.is_(None),
                    )
                    .group_by(StatusTag.tag_id)
                )
            ).all()
        }
        for tid in tag_ids:
            uses, accounts = counts.get(tid, (0, 0))
            out[tid].append(
                {"day": str(int(day.timestamp())), "uses": str(uses), "accounts": str(accounts)}
            )
    return out


async def render_tags(
    session: AsyncSession, settings: Settings, tags: list[Tag]
) -> list[dict[str, Any]]:
    histories = await tag_histories(session, [t.id for t in tags])
    return [
        {
            "id": str(t.id),
            "name": t.name,
            "url": tag_url(settings, t.name),
            "history": histories[t.id],
            "following": False,  # following hashtags is not implemented yet
        }
        for t in tags
    ]


@router.get("/api/v1/tags/{name}")
async def get_tag(
    name: str, session: SessionDep, settings: SettingsDep, auth: MaybeReadStatuses
) -> dict[str, Any]:
    tag = await session.scalar(select(Tag).where(Tag.name_lower == tag_key(name)))
    if tag is None:
        raise not_found()
    return (await render_tags(session, settings, [tag]))[0]
