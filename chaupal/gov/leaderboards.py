"""Leaderboards: the most-followed accounts of a category, ranked by their followers here, with
the change since yesterday's snapshot, growth over a period, and external audiences apart."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.models import (
    Account,
    ExternalAudience,
    ExternalPresence,
    FollowerSnapshot,
    InstitutionProfile,
    OfficeHolding,
)
from chaupal.render import iso
from chaupal.render.accounts import render_account

CATEGORIES = ("heads_of_government", "ministers", "ministries", "parties", "media")
OFFICE_ROLE = {"heads_of_government": "head_of_government", "ministers": "minister"}
EXTERNAL_NOTE = (
    "Audience on other platforms as declared by the account's owners, with date and source. "
    "Never added to followers_count and never used for rank."
)


def parse_period(value: str | None, settings: Settings) -> int | None:
    """`30d`, `7d`, `30` ... -> days, or None when malformed or out of range."""
    if value is None or value == "":
        return min(settings.leaderboard_period_days_default, settings.leaderboard_period_days_max)
    text = value.strip().lower().removesuffix("d")
    if not text.isdigit() or len(text) > 4:
        return None
    days = int(text)
    return days if 1 <= days <= settings.leaderboard_period_days_max else None


async def category_members(
    session: AsyncSession, category: str, today: date
) -> dict[int, tuple[Account, str | None]]:
    """account id -> (account, office title or None) for everyone on this category's board."""
    alive = (Account.suspended_at.is_(None),)
    out: dict[int, tuple[Account, str | None]] = {}
    if category in OFFICE_ROLE:
        stmt = (
            select(Account, OfficeHolding.title)
            .join(OfficeHolding, OfficeHolding.holder_account_id == Account.id)
            .where(
                *alive,
                Account.kind == "person",
                OfficeHolding.role == OFFICE_ROLE[category],
                OfficeHolding.started_on <= today,
                or_(OfficeHolding.ended_on.is_(None), OfficeHolding.ended_on >= today),
            )
            .order_by(OfficeHolding.started_on)
        )
        for account, title in (await session.execute(stmt)).all():
            out[account.id] = (account, title)
        return out
    if category == "ministries":
        stmt = (
            select(Account)
            .join(InstitutionProfile, InstitutionProfile.account_id == Account.id)
            .where(*alive, InstitutionProfile.category == "ministry")
        )
    else:
        stmt = select(Account).where(*alive, Account.kind == ("party" if category == "parties" else "media"))
    for account in await session.scalars(stmt):
        out[account.id] = (account, None)
    return out


def competition_ranks(counts: dict[int, int]) -> dict[int, int]:
    """Standard competition ranking (1, 2, 2, 4): equal counts share a rank."""
    ranks: dict[int, int] = {}
    previous: int | None = None
    rank = 0
    for position, (account_id, n) in enumerate(
        sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])), start=1
    ):
        if n != previous:
            rank, previous = position, n
        ranks[account_id] = rank
    return ranks


async def _snapshots(
    session: AsyncSession, ids: list[int], since: date
) -> dict[int, list[tuple[date, int]]]:
    if not ids:
        return {}
    stmt = (
        select(FollowerSnapshot.account_id, FollowerSnapshot.day, FollowerSnapshot.followers_count)
        .where(FollowerSnapshot.account_id.in_(ids), FollowerSnapshot.day >= since)
        .order_by(FollowerSnapshot.day)
    )
    out: dict[int, list[tuple[date, int]]] = {}
    for account_id, day, n in (await session.execute(stmt)).all():
        out.setdefault(account_id, []).append((day, n))
    return out


async def external_audiences(session: AsyncSession, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """account id -> its presences, each with the latest recorded audience figure."""
    if not ids:
        return {}
    presences = list(
        await session.scalars(
            select(ExternalPresence)
            .where(ExternalPresence.account_id.in_(ids))
            .order_by(ExternalPresence.platform, ExternalPresence.id)
        )
    )
    latest: dict[int, ExternalAudience] = {}
    if presences:
        stmt = (
            select(ExternalAudience)
            .where(ExternalAudience.presence_id.in_([p.id for p in presences]))
            .order_by(ExternalAudience.as_of, ExternalAudience.id)
        )
        for row in await session.scalars(stmt):
            latest[row.presence_id] = row
    out: dict[int, list[dict[str, Any]]] = {}
    for p in presences:
        fig = latest.get(p.id)
        out.setdefault(p.account_id, []).append(
            {
                "id": str(p.id),
                "platform": p.platform,
                "url": p.url,
                "verified_at": iso(p.verified_at),
                "followers": fig.followers if fig else None,
                "as_of": fig.as_of.isoformat() if fig else None,
                "source": fig.source if fig else None,
            }
        )
    return out


async def leaderboard(
    session: AsyncSession, settings: Settings, category: str, *, period_days: int, limit: int,
    today: date | None = None,
) -> dict[str, Any]:
    """The board: rank by followers now, rank change against yesterday's snapshot ranks."""
    today = today or utcnow().date()
    yesterday = today - timedelta(days=1)
    since = today - timedelta(days=period_days)
    members = await category_members(session, category, today)
    now_counts = {i: acc.followers_count for i, (acc, _) in members.items()}
    ranks = competition_ranks(now_counts)
    series = await _snapshots(session, list(members), since)
    before = {i: n for i, points in series.items() for d, n in points if d == yesterday}
    before_ranks = competition_ranks(before)
    top = sorted(members, key=lambda i: (ranks[i], i))[:limit]
    external = await external_audiences(session, top)
    entries = []
    for account_id in top:
        account, title = members[account_id]
        points = [(d, n) for d, n in series.get(account_id, []) if d < today]
        points.append((today, account.followers_count))  # today's point is the live count
        prev = before_ranks.get(account_id)
        first = points[0][1]
        entries.append(
            {
                "rank": ranks[account_id],
                "previous_rank": prev,
                "rank_change": None if prev is None else prev - ranks[account_id],
                "account": render_account(settings, account),
                "title": title,
                "followers_count": account.followers_count,
                "followers_change": None
                if account_id not in before
                else account.followers_count - before[account_id],
                "growth": account.followers_count - first if len(points) > 1 else None,
                "series": [{"day": d.isoformat(), "followers": n} for d, n in points],
                "external_presences": external.get(account_id, []),
            }
        )
    return {
        "category": category,
        "as_of": today.isoformat(),
        "compared_with": yesterday.isoformat(),
        "period_days": period_days,
        "total": len(members),
        "entries": entries,
        "external_note": EXTERNAL_NOTE,
    }
