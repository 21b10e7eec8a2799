"""Reports from the rollups: a period's totals and days (or calendar quarters with
quarter-on-quarter change), top posts, best and worst days; the same as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.errors import unprocessable
from chaupal.insights.analytics.days import (
    as_date,
    days_between,
    previous_quarter,
    quarter_bounds,
    quarter_label,
    quarter_of,
)
from chaupal.insights.analytics.rollup import ACCOUNT_METRICS
from chaupal.models import Account, AccountDaily, AnalyticsDay, PostDaily, Status
from chaupal.render import iso

GRANULARITIES = ("day", "quarter")
SUMMED = ACCOUNT_METRICS
EXCERPT = 140


@dataclass(frozen=True)
class ReportQuery:
    first: date
    last: date
    granularity: str = "day"


def _date(value: str | None, name: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise unprocessable(f"{name} must be a date like 2026-01-31") from None


def parse_query(
    settings: Settings, today: date, from_: str | None, to: str | None, granularity: str | None
) -> ReportQuery:
    """Validate `from`/`to` (inclusive UTC days) and the granularity; 422 on anything else."""
    gran = granularity or "day"
    if gran not in GRANULARITIES:
        raise unprocessable("granularity must be day or quarter")
    last = _date(to, "to") or today
    first = _date(from_, "from") or last - timedelta(days=settings.analytics_period_days_default - 1)
    if first > last:
        raise unprocessable("from must not be after to")
    if (last - first).days + 1 > settings.analytics_period_days_max:
        raise unprocessable(f"the period must be at most {settings.analytics_period_days_max} days")
    return ReportQuery(first, last, gran)


def _derive(row: dict[str, Any]) -> dict[str, Any]:
    engagement = row["replies"] + row["reposts"] + row["favourites"]
    row["engagement"] = engagement
    row["engagement_rate"] = round(engagement / row["reach"], 4) if row["reach"] else None
    return row


def _change(cur: Any, prev: Any) -> float | None:
    if cur is None or prev is None or prev == 0:
        return None
    return round((cur - prev) / prev * 100, 1)


async def _daily(session: AsyncSession, account_id: int, first: date, last: date) -> list[dict[str, Any]]:
    """One dict per day of first..last; days without a row count zero and keep the followers."""
    rows = {
        as_date(r.day): r
        for r in (
            await session.scalars(
                select(AccountDaily).where(
                    AccountDaily.account_id == account_id, AccountDaily.day >= first, AccountDaily.day <= last
                )
            )
        ).all()
    }
    followers = await session.scalar(
        select(AccountDaily.followers)
        .where(AccountDaily.account_id == account_id, AccountDaily.day < first)
        .order_by(AccountDaily.day.desc())
        .limit(1)
    ) or 0
    out = []
    for day in days_between(first, last):
        row = rows.get(day)
        if row is not None:
            followers = row.followers
        values = {m: (getattr(row, m) if row is not None else 0) for m in SUMMED}
        out.append(_derive({"period": day.isoformat(), **values, "followers": followers}))
    return out


def _total(days: list[dict[str, Any]], label: str, followers_before: int) -> dict[str, Any]:
    total: dict[str, Any] = {"period": label, **{m: sum(d[m] for d in days) for m in SUMMED}}
    total["followers_start"] = followers_before
    total["followers"] = days[-1]["followers"] if days else followers_before
    return _derive(total)


async def _quarters(session: AsyncSession, account_id: int, q: ReportQuery, today: date) -> list[dict[str, Any]]:
    first_q, last_q = quarter_of(q.first), quarter_of(q.last)
    before = previous_quarter(*first_q)
    start, _ = quarter_bounds(*before)
    _, end = quarter_bounds(*last_q)
    daily = await _daily(session, account_id, start, end)
    by_q: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for d in daily:
        by_q.setdefault(quarter_of(date.fromisoformat(d["period"])), []).append(d)
    out, prev, followers = [], None, 0
    for key in sorted(by_q):
        total = _total(by_q[key], quarter_label(*key), followers)
        followers = total["followers"]
        if key >= first_q:
            qs, qe = quarter_bounds(*key)
            total["from"], total["to"] = qs.isoformat(), qe.isoformat()
            total["complete"] = qe < today
            total["change"] = {
                m: _change(total[m], prev[m] if prev else None)
                for m in (*SUMMED, "engagement", "engagement_rate", "followers")
            }
            out.append(total)
        prev = total
    return out


async def _top_posts(session: AsyncSession, settings: Settings, account_id: int, q: ReportQuery) -> list[dict[str, Any]]:
    eng = func.sum(PostDaily.replies + PostDaily.reposts + PostDaily.favourites)
    rows = (
        await session.execute(
            select(PostDaily.status_id, func.sum(PostDaily.replies), func.sum(PostDaily.reposts),
                   func.sum(PostDaily.favourites), func.sum(PostDaily.opens), eng)
            .where(PostDaily.account_id == account_id, PostDaily.day >= q.first, PostDaily.day <= q.last)
            .group_by(PostDaily.status_id)
            .order_by(eng.desc(), func.sum(PostDaily.opens).desc(), PostDaily.status_id.desc())
            .limit(settings.analytics_top_posts)
        )
    ).all()
    ids = [r[0] for r in rows]
    if not ids:
        return []
    reach = dict((await session.execute(
        select(PostDaily.status_id, func.sum(PostDaily.reach)).where(PostDaily.status_id.in_(ids)).group_by(PostDaily.status_id)
    )).all())
    statuses = {s.id: s for s in (await session.scalars(select(Status).where(Status.id.in_(ids)))).all()}
    account = await session.get(Account, account_id)
    out = []
    for sid, replies, reposts, favourites, opens, _e in rows:
        s = statuses.get(sid)
        if s is None:
            continue
        text = s.spoiler_text or s.text or ""
        out.append(_derive({
            "id": str(sid),
            "created_at": iso(s.created_at),
            "url": s.url or f"{settings.base_url}/@{account.username if account else ''}/{sid}",
            "excerpt": text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…",
            "replies": int(replies), "reposts": int(reposts), "favourites": int(favourites),
            "opens": int(opens), "reach": int(reach.get(sid, 0)),
        }))
    return out


async def account_report(
    session: AsyncSession, settings: Settings, account: Account, q: ReportQuery, today: date
) -> dict[str, Any]:
    """The JSON report of `account` for `q` (see docs/api.md)."""
    days = await _daily(session, account.id, q.first, q.last)
    before = await session.scalar(
        select(AccountDaily.followers)
        .where(AccountDaily.account_id == account.id, AccountDaily.day < q.first)
        .order_by(AccountDaily.day.desc())
        .limit(1)
    ) or 0
    posted = [d for d in days if d["posts"]]
    n = settings.analytics_best_days
    best = sorted(posted, key=lambda d: (-d["engagement"], d["period"]))[:n]
    worst = sorted(posted, key=lambda d: (d["engagement"], d["period"]))[:n]
    rolled = await session.scalar(select(func.max(AnalyticsDay.rolled_at)))
    series = days if q.granularity == "day" else await _quarters(session, account.id, q, today)
    return {
        "account": {"id": str(account.id), "username": account.username, "acct": account.username},
        "from": q.first.isoformat(),
        "to": q.last.isoformat(),
        "granularity": q.granularity,
        "totals": _total(days, f"{q.first.isoformat()}/{q.last.isoformat()}", before),
        "series": series,
        "top_posts": await _top_posts(session, settings, account.id, q),
        "best_days": best,
        "worst_days": worst,
        "rolled_up_at": iso(rolled) if rolled else None,
    }


CSV_COLUMNS = ("period", *SUMMED, "followers", "engagement", "engagement_rate")


def report_csv(report: dict[str, Any]) -> str:
    """The series (days or quarters) as CSV, one row per period, then a totals row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in [*report["series"], report["totals"]]:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in CSV_COLUMNS])
    return buf.getvalue()
