"""Counting opens of a status (GET /api/v1/statuses/:id, the web thread page) by anyone but its
author without a write per request: each process adds them up in memory and writes them in one
transaction every `analytics_open_flush_seconds` (or at `analytics_open_flush_keys` posts), as
`status_opens` += n. A crash loses at most that interval's opens."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.db import utcnow
from chaupal.models import Status, StatusOpen

log = logging.getLogger("chaupal.analytics")


class OpenCounter:
    """Pending opens of one process: (status id, author id, UTC day) -> count."""

    def __init__(self) -> None:
        self.pending: Counter[tuple[int, int, date]] = Counter()
        self.last_flush = time.monotonic()
        self.task: asyncio.Task[int] | None = None

    def add(self, status_id: int, author_id: int, day: date) -> None:
        self.pending[(status_id, author_id, day)] += 1

    def due(self, flush_seconds: float, flush_keys: int) -> bool:
        return bool(self.pending) and (
            len(self.pending) >= flush_keys or time.monotonic() - self.last_flush >= flush_seconds
        )

    def take(self) -> Counter[tuple[int, int, date]]:
        taken, self.pending = self.pending, Counter()
        self.last_flush = time.monotonic()
        return taken


async def do_add_opens(session: AsyncSession, counts: dict[tuple[int, int, date], int]) -> int:
    """status_opens += n for each (status, author, day); statuses deleted meanwhile are skipped.
    Also for the demo, to give its posts plausible open counts."""
    if not counts:
        return 0
    ids = sorted({sid for sid, _, _ in counts})
    live: set[int] = set()
    for i in range(0, len(ids), 500):
        live |= set((await session.scalars(select(Status.id).where(Status.id.in_(ids[i : i + 500])))).all())
    rows = [
        {"status_id": sid, "account_id": aid, "day": day, "opens": n}
        for (sid, aid, day), n in counts.items()
        if sid in live
    ]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = make(StatusOpen)
    stmt = stmt.on_conflict_do_update(
        index_elements=[StatusOpen.status_id, StatusOpen.day],
        set_={"opens": StatusOpen.opens + stmt.excluded.opens},
    )
    await session.execute(stmt, rows)
    await session.flush()
    return len(rows)


def _counter(state: Any) -> OpenCounter:
    counter = getattr(state, "open_counter", None)
    if counter is None:
        counter = state.open_counter = OpenCounter()
    return counter


async def flush_opens(app: Any) -> int:
    """Write this process's pending opens now (also called at shutdown)."""
    counter = _counter(app.state)
    taken = counter.take()
    if not taken:
        return 0
    lock = getattr(app.state, "write_lock", None)
    try:
        if lock is not None:
            await lock.acquire()
        try:
            async with app.state.sessions() as session:
                written = await do_add_opens(session, taken)
                await session.commit()
                return written
        finally:
            if lock is not None:
                lock.release()
    except Exception:  # counts are best-effort: never let them fail a request or shutdown
        log.exception("could not write %s pending status opens", sum(taken.values()))
        return 0


def record_open(request: Any, status: Status, viewer_id: int | None) -> None:
    """Count one open of `status` unless its author opened it; may start a background flush."""
    if viewer_id is not None and viewer_id == status.account_id:
        return
    app = request.app
    settings = app.state.settings
    counter = _counter(app.state)
    counter.add(status.id, status.account_id, utcnow().date())
    busy = counter.task is not None and not counter.task.done()
    if not busy and counter.due(settings.analytics_open_flush_seconds, settings.analytics_open_flush_keys):
        counter.task = asyncio.create_task(flush_opens(app))
