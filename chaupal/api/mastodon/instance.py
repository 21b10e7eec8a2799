"""Mastodon API: the instance (v1 and v2, with and without a trailing slash) and its peers."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.app import version_string
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.federation.policy import domain_candidates
from chaupal.models import Account, Status, User
from chaupal.models.federation import DomainAllow, DomainBlock
from chaupal.render.accounts import render_account

router = APIRouter()
STATS_TTL_SECONDS = 60  # counting rows on a national instance is not free; refresh once a minute
SOURCE_URL = "https://github.com/chaupal/chaupal"
CHARACTERS_RESERVED_PER_URL = 23


async def _stats(request: Request, session: AsyncSession) -> dict[str, Any]:
    cached = getattr(request.app.state, "instance_stats", None)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    month_ago = utcnow() - timedelta(days=30)
    local_users = select(func.count()).select_from(User)
    stats = {
        "user_count": int(await session.scalar(local_users) or 0),
        "status_count": int(
            await session.scalar(select(func.count()).select_from(Status).where(Status.local.is_(True)))
            or 0
        ),
        "domain_count": 0,
        "active_month": int(
            await session.scalar(
                select(func.count())
                .select_from(User)
                .join(Account, Account.id == User.account_id)
                .where(or_(User.last_sign_in_at >= month_ago, Account.last_status_at >= month_ago))
            )
            or 0
        ),
    }
    request.app.state.instance_stats = (time.monotonic() + STATS_TTL_SECONDS, stats)
    return stats


async def _contact_account(session: AsyncSession, settings: Settings) -> dict[str, Any] | None:
    account = await session.scalar(
        select(Account)
        .join(User, User.account_id == Account.id)
        .where(User.role == "admin", Account.suspended_at.is_(None))
        .order_by(User.created_at)
        .limit(1)
    )
    return render_account(settings, account) if account else None


def _statuses_config(settings: Settings) -> dict[str, Any]:
    return {
        "max_characters": settings.max_status_chars,
        "max_media_attachments": settings.max_media_attachments,
        "characters_reserved_per_url": CHARACTERS_RESERVED_PER_URL,
    }


def _media_config(settings: Settings) -> dict[str, Any]:
    """What the media pipeline (chaupal/media) really accepts, from the same settings."""
    from chaupal.media.sniff import SUPPORTED_TYPES

    return {
        "supported_mime_types": list(SUPPORTED_TYPES),
        "image_size_limit": settings.max_image_bytes,
        "image_matrix_limit": settings.max_image_pixels,
        "video_size_limit": settings.max_video_bytes,
        "video_frame_rate_limit": 120,  # Mastodon's figure; video is stored, not re-encoded
        "video_matrix_limit": settings.max_image_pixels,
        "description_limit": settings.max_media_description_chars,
    }


def _polls_config() -> dict[str, Any]:
    # Polls are not implemented yet: zero options allowed.
    return {"max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0}


def _thumbnail(settings: Settings) -> str:
    return f"{settings.base_url}/static/header-missing.png"


async def instance_v1(request: Request, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    stats = await _stats(request, session)
    return {
        "uri": settings.domain,
        "title": settings.title,
        "short_description": settings.description,
        "description": settings.description,
        "email": settings.contact_email,
        "version": version_string(),
        "urls": {"streaming_api": settings.streaming_url},
        "stats": {k: stats[k] for k in ("user_count", "status_count", "domain_count")},
        "thumbnail": _thumbnail(settings),
        "languages": ["en", "hi"],
        "registrations": settings.registrations != "closed",
        "approval_required": settings.registrations == "approval",
        "invites_enabled": False,
        "configuration": {
            "accounts": {"max_featured_tags": 0, "max_pinned_statuses": settings.max_pins},
            "statuses": _statuses_config(settings),
            "media_attachments": _media_config(settings),
            "polls": _polls_config(),
        },
        "contact_account": await _contact_account(session, settings),
        "rules": [],
    }


async def instance_v2(request: Request, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    stats = await _stats(request, session)
    thumb = _thumbnail(settings)
    return {
        "domain": settings.domain,
        "title": settings.title,
        "version": version_string(),
        "source_url": SOURCE_URL,
        "description": settings.description,
        "usage": {"users": {"active_month": stats["active_month"]}},
        "thumbnail": {"url": thumb, "blurhash": None, "versions": {}},
        "icon": [],
        "languages": ["en", "hi"],
        "configuration": {
            "urls": {"streaming": settings.streaming_url, "status": None, "about": f"{settings.base_url}/"},
            "vapid": {"public_key": ""},
            "accounts": {"max_featured_tags": 0, "max_pinned_statuses": settings.max_pins},
            "statuses": _statuses_config(settings),
            "media_attachments": _media_config(settings),
            "polls": _polls_config(),
            "translation": {"enabled": False},
        },
        "registrations": {
            "enabled": settings.registrations != "closed",
            "approval_required": settings.registrations == "approval",
            "message": None,
            "url": None,
        },
        "api_versions": {"mastodon": 2},
        "contact": {"email": settings.contact_email, "account": await _contact_account(session, settings)},
        "rules": [],
    }


for _path in ("/api/v1/instance", "/api/v1/instance/"):
    router.add_api_route(_path, instance_v1, methods=["GET"], include_in_schema=_path.endswith("e"))
for _path in ("/api/v2/instance", "/api/v2/instance/"):
    router.add_api_route(_path, instance_v2, methods=["GET"], include_in_schema=_path.endswith("e"))


@router.get("/api/v1/instance/peers")
async def peers(session: SessionDep, settings: SettingsDep) -> list[str]:
    """The servers this one knows: the domains of remote accounts it holds, without those the
    operator suspended (or, in allow-list mode, has not allowed). Sorted."""
    domains = (await session.scalars(
        select(Account.domain).where(Account.domain != "").distinct()
    )).all()
    suspended = set((await session.scalars(
        select(DomainBlock.domain).where(DomainBlock.severity == "suspend")
    )).all())
    allowed = set((await session.scalars(select(DomainAllow.domain))).all())
    allowlist = settings.federation_mode == "allowlist"

    def listed(domain: str) -> bool:
        covering = domain_candidates(domain)
        if any(d in suspended for d in covering):
            return False
        return not allowlist or any(d in allowed for d in covering)

    return sorted(d for d in domains if listed(d))


@router.get("/api/v1/instance/rules")
async def rules() -> list[Any]:
    return []
