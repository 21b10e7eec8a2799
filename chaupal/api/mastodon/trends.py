"""Mastodon API: trending tags, statuses and links (public; approved items only; `language` or
`Accept-Language` picks one language's list), paged by `limit`/`offset` as Mastodon does."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.api.deps import MaybeReadStatuses, SessionDep, SettingsDep
from chaupal.api.mastodon.timelines import render_tags
from chaupal.api.params import parse
from chaupal.config import Settings
from chaupal.insights.trends.query import public_trends, request_language
from chaupal.models import Status, Tag, TrendScore
from chaupal.render.statuses import render_statuses

router = APIRouter()


class TrendParams(BaseModel):
    limit: int | None = Field(default=None, ge=1, lt=2**31)
    offset: int = Field(default=0, ge=0, lt=2**31)
    language: str | None = Field(default=None, max_length=35)
    lang: str | None = Field(default=None, max_length=35)  # what Mastodon.py sends


async def trend_page(
    request: Request, response: Response, default: int, maximum: int
) -> tuple[str, int, int]:
    """(language, offset, limit) of a trends request; sets the offset `Link` header."""
    params = await parse(request, TrendParams)
    limit = min(params.limit or default, maximum)
    chosen = params.language or params.lang
    language = request_language(chosen, request.headers.get("accept-language"))
    base = str(request.url.replace(query=""))
    query = {k: v for k, v in request.query_params.items() if k not in ("offset", "limit")}
    links = [f'<{base}?{_qs({**query, "offset": params.offset + limit, "limit": limit})}>; rel="next"']
    if params.offset > 0:
        prev = max(params.offset - limit, 0)
        links.append(f'<{base}?{_qs({**query, "offset": prev, "limit": limit})}>; rel="prev"')
    response.headers["Link"] = ", ".join(links)
    return language, params.offset, limit


def _qs(values: dict[str, Any]) -> str:
    return urlencode({k: str(v) for k, v in values.items()})


def render_link(row: TrendScore, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Trends::Link (a `link` PreviewCard with `history`) built from the URL alone: Chaupal
    fetches nothing, so title is the URL without its scheme and there is no image."""
    url = row.url or ""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    title = url.split("://", 1)[-1][:200]
    return {
        "url": url,
        "title": title,
        "description": "",
        "type": "link",
        "authors": [],
        "author_name": "",
        "author_url": "",
        "provider_name": host,
        "provider_url": f"{parts.scheme}://{parts.netloc}" if parts.netloc else "",
        "html": "",
        "width": 0,
        "height": 0,
        "image": None,
        "image_description": "",
        "embed_url": "",
        "blurhash": None,
        "published_at": None,
        "language": row.language or None,
        "history": row.history or [],
        **(extra or {}),
    }


async def load_tags(session: AsyncSession, rows: list[TrendScore]) -> list[Tag]:
    ids = [r.item_id for r in rows]
    found = {t.id: t for t in (await session.scalars(select(Tag).where(Tag.id.in_(ids)))).all()}
    return [found[i] for i in ids if i in found]


async def load_statuses(session: AsyncSession, rows: list[TrendScore]) -> list[Status]:
    ids = [r.item_id for r in rows]
    found = {s.id: s for s in (await session.scalars(select(Status).where(Status.id.in_(ids)))).all()}
    return [found[i] for i in ids if i in found]


async def trending_tags(
    session: AsyncSession, settings: Settings, language: str, offset: int, limit: int
) -> list[dict[str, Any]]:
    rows = await public_trends(session, settings, "tag", language, offset=offset, limit=limit)
    return await render_tags(session, settings, await load_tags(session, rows))


@router.get("/api/v1/trends/tags")
async def tags(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    language, offset, limit = await trend_page(
        request, response, settings.trends_tags_default, settings.trends_tags_max
    )
    return await trending_tags(session, settings, language, offset, limit)


@router.get("/api/v1/trends")
async def tags_deprecated_alias(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    """Mastodon's pre-3.5 name for `/api/v1/trends/tags`, still used by older clients."""
    return await tags(request, response, session, settings)


@router.get("/api/v1/trends/statuses")
async def statuses(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: MaybeReadStatuses,
) -> list[dict[str, Any]]:
    language, offset, limit = await trend_page(
        request, response, settings.trends_statuses_default, settings.trends_statuses_max
    )
    viewer_id = auth.account.id if auth and auth.account else None
    rows = await public_trends(
        session, settings, "status", language, offset=offset, limit=limit, viewer_id=viewer_id
    )
    return await render_statuses(session, settings, await load_statuses(session, rows), viewer_id)


@router.get("/api/v1/trends/links")
async def links(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    language, offset, limit = await trend_page(
        request, response, settings.trends_links_default, settings.trends_links_max
    )
    rows = await public_trends(session, settings, "link", language, offset=offset, limit=limit)
    return [render_link(r) for r in rows]
