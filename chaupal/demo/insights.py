"""The demo's insights (issue 5), run after its history exists: an imported X past for two
ministries (so advice has evidence), sentiment labels, analytics rollups and reviewed trends."""

from __future__ import annotations

import random
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
    session: AsyncSession,
    settings: Settings,
    rng: random.Random,
    now: datetime,
    commit: Any,
    progress: Any,
) -> dict[str, Any]:
    from chaupal.demo.reaction import seed_reaction
    from chaupal.importers.x_archive_synth import demo_x_history
    from chaupal.insights.analytics.job import demo_backfill as rollups
    from chaupal.insights.monitor.labels import demo_backfill as labels
    from chaupal.insights.trends.demo import demo_backfill as trends

    task = progress.add_task("Insights: X history, sentiment, rollups, trends", total=len(X_HISTORY) + 4)
    out: dict[str, Any] = {}
    out["reaction"] = await seed_reaction(session, settings, rng, now)
    await commit()
    progress.advance(task)
    for username, seed in X_HISTORY.items():
        account = await session.scalar(select(Account).where(Account.username == username))
        if account is not None:
            await demo_x_history(session, settings, account, now, seed=seed)
            await commit()
        progress.advance(task)
    out["opens"] = await _opens(session, rng)
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


async def _opens(session: AsyncSession, rng: random.Random) -> int:
    """Plausible open counts for the posts of non-person accounts: a few per cent of their
    followers open each post, more in the first days (one row per post and day)."""
    from datetime import timedelta

    from chaupal.insights.analytics.opens import do_add_opens
    from chaupal.models import Status

    rows = (
        await session.execute(
            select(Status.id, Status.account_id, Status.created_at, Account.followers_count)
            .join(Account, Account.id == Status.account_id)
            .where(Account.kind != "person", Status.reblog_of_id.is_(None), Status.visibility == "public")
        )
    ).all()
    counts: dict[tuple[int, int, Any], int] = {}
    for sid, aid, at, followers in rows:
        first = max(1, int(followers * rng.uniform(0.02, 0.15)))
        counts[(sid, aid, at.date())] = first
        counts[(sid, aid, (at + timedelta(days=1)).date())] = first // 4
    return await do_add_opens(session, counts)
