"""The recurring `trends_refresh` job: recompute every trend score from the window's statuses."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions.trends import do_refresh_trends
from chaupal.config import Settings
from chaupal.jobs import job_handler, recurring

TRENDS_REFRESH_SECONDS = 300  # Mastodon refreshes its trends every five minutes too


@recurring("trends_refresh", TRENDS_REFRESH_SECONDS)
@job_handler("trends_refresh")
async def trends_refresh(session: AsyncSession, settings: Settings, payload: dict[str, Any]) -> None:
    await do_refresh_trends(session, settings)
