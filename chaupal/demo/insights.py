"""The demo's insights (issue 5), run after its history exists: an imported X past for two
ministries (so advice has evidence), sentiment labels, analytics rollups and reviewed trends."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.models import Account

# Ministries whose archive from X the demo imports (seed per account, fixed).
X_HISTORY = {"MinOfFinance": 5, "PMO": 6}


def defer_labels(session: AsyncSession) -> None:
    """Posts made by the loader are labelled once, in batches, at the end."""
    from chaupal.insights.monitor.labels import DEFER

    session.info[DEFER] = True


async def seed_insights(
    session: AsyncSession, settings: Settings, now: datetime, commit: Any, progress: Any
) -> dict[str, Any]:
    from chaupal.importers.x_archive_synth import demo_x_history
    from chaupal.insights.analytics.job import demo_backfill as rollups
    from chaupal.insights.monitor.labels import demo_backfill as labels
    from chaupal.insights.trends.demo import demo_backfill as trends

    task = progress.add_task("Insights: X history, sentiment, rollups, trends", total=len(X_HISTORY) + 3)
    out: dict[str, Any] = {}
    for username, seed in X_HISTORY.items():
        account = await session.scalar(select(Account).where(Account.username == username))
        if account is not None:
            await demo_x_history(session, settings, account, now, seed=seed)
            await commit()
        progress.advance(task)
    out["labelled"] = await labels(session, settings, now)
    await commit()
    progress.advance(task)
    await rollups(session, settings, now)
    await commit()
    progress.advance(task)
    out["trends_approved"] = await trends(session, settings, now)
    await commit()
    progress.advance(task)
    return out
