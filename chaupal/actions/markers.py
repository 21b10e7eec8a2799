"""Saving read positions in the home and notifications timelines (Mastodon's markers)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.db import utcnow
from chaupal.errors import ApiError
from chaupal.models import Marker

TIMELINES = ("home", "notifications")


async def do_save_marker(session: AsyncSession, user_id: int, timeline: str, last_read_id: int) -> Marker:
    """Create or move a marker; each save bumps its version, as Mastodon's does."""
    marker = await session.scalar(
        select(Marker).where(Marker.user_id == user_id, Marker.timeline == timeline).with_for_update()
    )
    if marker is None:
        marker = Marker(user_id=user_id, timeline=timeline, last_read_id=last_read_id, version=1)
        session.add(marker)
    else:
        marker.last_read_id = last_read_id
        marker.version += 1
        marker.updated_at = utcnow()
    try:
        await session.flush()
    except Exception as exc:  # a concurrent first save of the same marker
        raise ApiError(409, "Conflict during update, please try again") from exc
    return marker
