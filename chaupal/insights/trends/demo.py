"""`demo_backfill`: trends for a freshly loaded demo, so /explore and the trends API show content
on first run: compute them at `now`, then approve the best items as the demo's admin would."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions.trends import do_review_trend, do_store_trends
from chaupal.config import Settings
from chaupal.insights.trends.compute import compute_trends
from chaupal.insights.trends.query import admin_trends
from chaupal.models import User

# How many of each kind the demo approves; the rest stay "requires review" for the admin to try.
DEMO_APPROVED = {"tag": 8, "link": 4, "status": 8}


async def demo_backfill(session: AsyncSession, settings: Settings, now: datetime) -> dict[str, int]:
    """Store the trends at `now` and approve the top items of each kind (reviewer: the first
    admin, if any). Returns how many items of each kind were approved. Flushes only."""
    await do_store_trends(session, settings, await compute_trends(session, settings, now), now)
    reviewer = await session.scalar(
        select(User.account_id).where(User.role == "admin").order_by(User.id).limit(1)
    )
    approved: dict[str, int] = {}
    for kind, how_many in DEMO_APPROVED.items():
        rows = await admin_trends(session, kind, offset=0, limit=how_many)
        for row in rows:
            await do_review_trend(session, kind, row.item_id, True, reviewer)
        approved[kind] = len(rows)
    return approved
