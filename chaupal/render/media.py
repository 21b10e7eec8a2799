"""MediaAttachment entities as Mastodon documents them, one at a time or for a page of
statuses in one query."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.media.storage import media_base_url
from chaupal.models import MediaAttachment


def render_media(settings: Settings, media: MediaAttachment) -> dict[str, Any]:
    base = media_base_url(settings)
    ready = media.processing == "done"
    meta = dict(media.meta or {})
    meta["focus"] = {"x": media.focus_x, "y": media.focus_y}
    # A remote attachment: our cached copy once made (chaupal.federation.media_cache), else the
    # remote file itself (an image is its own preview).
    remote = media.remote_url
    return {
        "id": str(media.id),
        "type": media.type,
        "url": f"{base}/{media.file_path}" if ready and media.file_path else remote,
        "preview_url": (
            f"{base}/{media.thumbnail_path}"
            if media.thumbnail_path
            else (remote if media.type == "image" else None)
        ),
        "remote_url": remote,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": media.description,
        "blurhash": media.blurhash,
    }


async def render_media_for_statuses(
    session: AsyncSession, settings: Settings, status_ids: Iterable[int]
) -> dict[int, list[dict[str, Any]]]:
    """status id -> its media entities in attachment order (one query for the whole page)."""
    ids = list(set(status_ids))
    if not ids:
        return {}
    rows = await session.scalars(
        select(MediaAttachment)
        .where(MediaAttachment.status_id.in_(ids))
        .order_by(MediaAttachment.status_id, MediaAttachment.position, MediaAttachment.id)
    )
    out: dict[int, list[dict[str, Any]]] = {}
    for media in rows.all():
        assert media.status_id is not None
        out.setdefault(media.status_id, []).append(render_media(settings, media))
    return out
