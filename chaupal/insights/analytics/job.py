"""The recurring `analytics_rollup` job: rolls up every day not yet final plus today, and
re-rolls days marked dirty by late changes; a day becomes final once rolled
`analytics_final_after_hours` after it ended. `demo_backfill` rolls up all history at once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.insights.analytics.days import as_date, day_end, days_between, runs
from chaupal.insights.analytics.rollup import RollupResult, rollup_run
from chaupal.jobs import enqueue, job_handler, recurring
from chaupal.lib.ids import id_time
from chaupal.models import AnalyticsDay, AnalyticsDirtyDay, Favourite, Follow, Status

ROLLUP_EVERY_SECONDS = 300
KIND = "analytics_rollup"


async def earliest_day(session: AsyncSession) -> date | None:
    """The first day with any raw row (the lowest time-sortable ID of statuses, favourites and
    follows), where the first rollup starts."""
    firsts = [await session.scalar(select(func.min(m.id))) for m in (Status, Favourite, Follow)]
    found = [id_time(i).date() for i in firsts if i is not None]
    return min(found) if found else None


async def pending_days(session: AsyncSession, now: datetime) -> tuple[list[date], list[int]]:
    """Days to roll, oldest first (not yet final, today, dirty), and the dirty marks behind them."""
    today = now.date()
    known = {as_date(d): final for d, final in (await session.execute(select(AnalyticsDay.day, AnalyticsDay.final))).all()}
    start = min(known) if known else await earliest_day(session)
    days = {today}
    if start is not None and start < today:
        days |= {d for d in days_between(start, today) if not known.get(d, False)}
    marks = (await session.execute(select(AnalyticsDirtyDay.id, AnalyticsDirtyDay.day))).all()
    days |= {as_date(d) for _, d in marks if as_date(d) <= today}
    return sorted(days), [i for i, _ in marks]


async def roll_days(
    session: AsyncSession, settings: Settings, days: list[date], now: datetime
) -> RollupResult:
    """Roll up `days` (any order) and record them, final when their grace period is over."""
    total = RollupResult()
    grace = timedelta(hours=settings.analytics_final_after_hours)
    for first, last in runs(days):
        done = await rollup_run(session, first, last)
        total.days += done.days
        total.account_rows += done.account_rows
        total.post_rows += done.post_rows
    rows = {
        as_date(r.day): r
        for r in (await session.scalars(select(AnalyticsDay).where(AnalyticsDay.day.in_(days)))).all()
    } if days else {}
    for day in sorted(set(days)):
        final = now >= day_end(day) + grace
        row = rows.get(day)
        if row is None:
            session.add(AnalyticsDay(day=day, final=final, rolled_at=now))
        else:
            row.final, row.rolled_at = final, now
    await session.flush()
    return total


async def do_rollup_pending(
    session: AsyncSession, settings: Settings, now: datetime | None = None, *, max_days: int | None = None
) -> tuple[RollupResult, int]:
    """One round of the job: roll up to `max_days` pending days (oldest first; today always) and
    clear the dirty marks it covered. Returns the result and how many days remain."""
    now = now or utcnow()
    days, marks = await pending_days(session, now)
    limit = max_days if max_days is not None else settings.analytics_rollup_max_days
    chosen = days[: max(limit, 1)]
    if now.date() not in chosen:
        chosen.append(now.date())
    result = await roll_days(session, settings, chosen, now)
    covered = set(chosen)
    dirty = (
        await session.execute(select(AnalyticsDirtyDay.id, AnalyticsDirtyDay.day).where(AnalyticsDirtyDay.id.in_(marks)))
    ).all() if marks else []
    done_marks = [i for i, d in dirty if as_date(d) in covered]
    if done_marks:
        await session.execute(delete(AnalyticsDirtyDay).where(AnalyticsDirtyDay.id.in_(done_marks)))
    await session.flush()
    return result, len(set(days) - covered)


@recurring(KIND, ROLLUP_EVERY_SECONDS)
@job_handler(KIND)
async def analytics_rollup(session: AsyncSession, settings: Settings, payload: dict[str, Any]) -> None:
    _result, remaining = await do_rollup_pending(session, settings)
    if remaining:  # a backlog (first run, long outage): carry on at once in another job
        await enqueue(session, KIND, {"backlog": remaining}, dedupe_key=f"{KIND}:backlog:{remaining}")


async def demo_backfill(session: AsyncSession, settings: Settings, now: datetime) -> RollupResult:
    """Roll up all history up to `now` in one go (the demo's 182 days), so the analytics pages
    have data on first run; the caller commits."""
    days, _marks = await pending_days(session, now)
    result = await roll_days(session, settings, days, now)
    await session.execute(delete(AnalyticsDirtyDay).where(AnalyticsDirtyDay.day <= now.date()))
    await session.flush()
    return result
