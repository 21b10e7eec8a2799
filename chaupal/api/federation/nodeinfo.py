"""NodeInfo (2.0 and 2.1): what software this is, its protocols, usage and registrations,
found through `/.well-known/nodeinfo`. Counts are cached per process for a few minutes."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.api.mastodon.instance import SOURCE_URL as REPOSITORY
from chaupal.app import VERSION
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.models import Account, Status, User

router = APIRouter()
SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{v}"


async def _usage(request: Request, session: AsyncSession, settings: Settings) -> dict[str, Any]:
    cached = getattr(request.app.state, "nodeinfo_usage", None)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    now = utcnow()

    async def active_since(days: int) -> int:
        since = now - timedelta(days=days)
        return int(
            await session.scalar(
                select(func.count())
                .select_from(User)
                .join(Account, Account.id == User.account_id)
                .where(
                    Account.suspended_at.is_(None),
                    or_(User.last_sign_in_at >= since, Account.last_status_at >= since),
                )
            )
            or 0
        )

    total = await session.scalar(
        select(func.count())
        .select_from(User)
        .join(Account, Account.id == User.account_id)
        .where(Account.suspended_at.is_(None))
    )
    posts = await session.scalar(
        select(func.count())
        .select_from(Status)
        .where(Status.local.is_(True), Status.reblog_of_id.is_(None))
    )
    usage = {
        "users": {
            "total": int(total or 0),
            "activeMonth": await active_since(30),
            "activeHalfyear": await active_since(180),
        },
        "localPosts": int(posts or 0),
    }
    request.app.state.nodeinfo_usage = (
        time.monotonic() + settings.federation_nodeinfo_cache_seconds,
        usage,
    )
    return usage


@router.get("/.well-known/nodeinfo")
async def nodeinfo_links(settings: SettingsDep) -> JSONResponse:
    return JSONResponse(
        {
            "links": [
                {"rel": SCHEMA.format(v=v), "href": f"{settings.base_url}/nodeinfo/{v}"}
                for v in ("2.0", "2.1")
            ]
        },
        headers={"Access-Control-Allow-Origin": "*"},
    )


async def _nodeinfo(
    request: Request, session: AsyncSession, settings: Settings, version: str
) -> JSONResponse:
    software: dict[str, Any] = {"name": "chaupal", "version": VERSION}
    if version == "2.1":
        software.update(repository=REPOSITORY, homepage=REPOSITORY)
    body = {
        "version": version,
        "software": software,
        "protocols": ["activitypub"] if settings.federation_enabled else [],
        "services": {"outbound": [], "inbound": []},
        "usage": await _usage(request, session, settings),
        "openRegistrations": settings.registrations == "open",
        "metadata": {"nodeName": settings.title, "nodeDescription": settings.description},
    }
    return JSONResponse(
        body,
        media_type=f'application/json; profile="{SCHEMA.format(v=version)}#"',
        headers={"Access-Control-Allow-Origin": "*"},
    )


@router.get("/nodeinfo/2.0")
async def nodeinfo_20(request: Request, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    return await _nodeinfo(request, session, settings, "2.0")


@router.get("/nodeinfo/2.1")
async def nodeinfo_21(request: Request, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    return await _nodeinfo(request, session, settings, "2.1")
