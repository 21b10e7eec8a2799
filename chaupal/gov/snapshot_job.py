"""The recurring "follower_snapshots" job: hourly upsert of today's follower counts, so each
day's row ends up holding that day's closing count (leaderboard ranks and growth charts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions.snapshots import do_record_follower_snapshots
from chaupal.config import Settings
from chaupal.jobs import job_handler, recurring

SNAPSHOT_EVERY_SECONDS = 3600


@recurring("follower_snapshots", SNAPSHOT_EVERY_SECONDS)
@job_handler("follower_snapshots")
async def follower_snapshots(session: AsyncSession, settings: Settings, payload: dict[str, Any]) -> None:
    await do_record_follower_snapshots(session, settings)
