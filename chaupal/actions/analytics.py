"""Analytics writes made by other actions: the unfollow log (a deleted follow leaves no row, so
the rollups could not count it otherwise) and "re-roll this day" marks for late changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.db import utcnow
from chaupal.models import AccountEvent, AnalyticsDirtyDay


def utc_day(at: datetime) -> date:
    return (at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)).date()


def do_mark_dirty(session: AsyncSession, at: datetime) -> None:
    """Ask the next rollup to re-roll the UTC day of `at` (for writes dated in the past, e.g. an
    imported archive). Several marks for one day cost no more than one."""
    session.add(AnalyticsDirtyDay(day=utc_day(at)))


def do_log_unfollow(
    session: AsyncSession, follower_id: int, target_id: int, followed_at: datetime | None
) -> None:
    """Record that `follower_id` stopped following `target_id` (unfollow, block or removal) in
    the caller's transaction. The day the follow began is re-rolled: its new-follower count
    includes follows that have ended since."""
    now = utcnow()
    session.add(
        AccountEvent(
            account_id=target_id, actor_id=follower_id, kind="unfollow", at=now, followed_at=followed_at
        )
    )
    if followed_at is not None and utc_day(followed_at) != utc_day(now):
        do_mark_dirty(session, followed_at)
