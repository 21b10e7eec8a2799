"""Daily follower snapshots for leaderboards: one row per (account, day), upserted, so the
hourly job can run any number of times a day and the last run of a day is its closing count."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.models import Account, FollowerSnapshot

BATCH = 1000


def snapshot_clause(settings: Settings) -> Any:
    """Which accounts are tracked: non-persons, verified accounts, and popular persons."""
    return (
        Account.domain == "",
        Account.suspended_at.is_(None),
        or_(
            Account.kind != "person",
            Account.verification.is_not(None),
            Account.followers_count >= settings.snapshot_follower_threshold,
        ),
    )


async def do_record_follower_snapshots(
    session: AsyncSession, settings: Settings, day: date | None = None
) -> int:
    """Upsert today's (or `day`'s) follower count of every tracked account; returns how many."""
    day = day or utcnow().date()
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    after = 0
    done = 0
    while True:
        stmt = (
            select(Account.id, Account.followers_count)
            .where(*snapshot_clause(settings), Account.id > after)
            .order_by(Account.id)
            .limit(BATCH)
        )
        rows = (await session.execute(stmt)).all()
        if not rows:
            return done
        values = [{"account_id": a, "day": day, "followers_count": n} for a, n in rows]
        upsert = insert(FollowerSnapshot).values(values)
        upsert = upsert.on_conflict_do_update(
            index_elements=["account_id", "day"],
            set_={"followers_count": upsert.excluded.followers_count},
        )
        await session.execute(upsert)
        done += len(rows)
        after = rows[-1][0]
