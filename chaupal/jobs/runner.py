"""The job runner: claims due jobs under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a
plain UPDATE under SQLite's single writer), runs each in its own transaction that also marks it
done, retries failures with backoff, and reclaims jobs whose runner died (lease expired)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import traceback
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.events import Hub, after_commit, discard_pending
from chaupal.jobs.queue import backoff_seconds, enqueue, recurring_key
from chaupal.jobs.registry import (
    _ATTEMPT,
    _WRITE_LOCK,
    HANDLERS,
    RECURRING,
    JobFailed,
    RetryLater,
    load_handlers,
)
from chaupal.metrics import job_finished
from chaupal.models import Job

log = logging.getLogger("chaupal.jobs")
MAX_ERROR_CHARS = 4000


@dataclass
class Claimed:
    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int  # this run's number, from 1
    max_attempts: int
    token: str  # locked_by: unique per claim, so a reclaimed job's old runner cannot finish it


class JobRunner:
    """One runner per process. `run_due()` claims and runs one batch; `run_forever()` polls.
    `write_lock` is the app's SQLite writer lock, so jobs queue behind requests in `serve`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        write_lock: asyncio.Lock | None = None,
        hub: Hub | None = None,
        name: str | None = None,
        read_sessions: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.sessions = sessions
        self.read_sessions = read_sessions or sessions
        self.settings = settings
        self.write_lock = write_lock
        self.hub = hub
        self.name = (name or f"{socket.gethostname()}:{os.getpid()}")[:90]
        self._held: set[str] = set()  # claim tokens of jobs running now
        load_handlers()

    @contextlib.asynccontextmanager
    async def _writer(self) -> AsyncIterator[AsyncSession]:
        lock = self.write_lock
        if lock is not None:
            await lock.acquire()
        try:
            async with self.sessions() as session:
                yield session
        finally:
            if lock is not None:
                lock.release()

    def _limit(self, max_attempts: int) -> int:
        return max_attempts or self.settings.jobs_max_attempts

    async def claim(self, limit: int | None = None) -> list[Claimed]:
        """Take up to `limit` due jobs this process has handlers for: queued with `run_at` past,
        or running with an expired lease. Committed before any of them runs."""
        kinds = sorted(HANDLERS)
        if not kinds:
            return []
        size = limit or (1 if self.settings.is_sqlite else self.settings.jobs_batch_size)
        now = utcnow()
        due = or_(
            and_(Job.state == "queued", Job.run_at <= now),
            and_(Job.state == "running", Job.locked_until < now),
        )
        token = f"{self.name}:{uuid.uuid4().hex[:12]}"
        async with self.read_sessions() as peek:  # idle polls stay reads: no writer lock taken
            if await peek.scalar(select(Job.id).where(due, Job.kind.in_(kinds)).limit(1)) is None:
                return []
        async with self._writer() as session:
            rows = (
                await session.execute(
                    select(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
                    .where(due, Job.kind.in_(kinds))
                    .order_by(Job.run_at, Job.id)
                    .limit(size)
                    .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer
                )
            ).all()
            if not rows:
                await session.rollback()
                return []
            await session.execute(
                update(Job)
                .where(Job.id.in_([r.id for r in rows]))
                .values(
                    state="running",
                    attempts=Job.attempts + 1,
                    locked_by=token,
                    locked_until=now + timedelta(seconds=self.settings.jobs_lease_seconds),
                )
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        return [
            Claimed(r.id, r.kind, dict(r.payload or {}), r.attempts + 1, r.max_attempts, token)
            for r in rows
        ]

    async def run_due(self, limit: int | None = None) -> int:
        """Claim one batch and run it (concurrently on PostgreSQL); returns how many ran."""
        claimed = await self.claim(limit)
        if not claimed:
            return 0
        for job in claimed:
            self._held.add(job.token)
        try:
            if len(claimed) == 1:
                await self._run(claimed[0])
            else:
                await asyncio.gather(*(self._run(job) for job in claimed))
        finally:
            for job in claimed:
                self._held.discard(job.token)
        return len(claimed)

    async def run_until_idle(self, max_rounds: int = 1000) -> int:
        """Run due jobs until none is due (tests, `chaupal worker --once`)."""
        total = 0
        for _ in range(max_rounds):
            ran = await self.run_due()
            if not ran:
                break
            total += ran
        return total

    async def _run(self, job: Claimed) -> None:
        limit = self._limit(job.max_attempts)
        if job.attempt > limit:  # its last attempt's runner died (lease expired)
            await self._fail(job, f"lease expired on attempt {job.attempt - 1}; no attempts left", final=True)
            return
        handler = HANDLERS[job.kind]
        error: str | None = None
        committed = False
        retry_in: float | None = None
        async with self._writer() as session:
            token = _ATTEMPT.set((job.attempt, limit))
            lock_token = _WRITE_LOCK.set(self.write_lock)
            try:
                try:
                    await asyncio.wait_for(
                        handler(session, self.settings, dict(job.payload)),
                        timeout=self.settings.jobs_lease_seconds,
                    )
                    verdict: tuple[str, str | None] = ("done", None)
                except JobFailed as exc:  # the handler's own verdict: keep its writes, no retry
                    verdict = ("failed", str(exc) or "failed")
                except RetryLater as exc:  # the handler's own schedule: keep its writes
                    if job.attempt >= limit:
                        verdict = ("failed", exc.message)
                    else:
                        verdict, retry_in = ("queued", exc.message), exc.delay_seconds
                if await self._finish(session, job, *verdict, retry_in=retry_in):
                    await session.commit()
                    committed = True
                else:
                    log.warning("job %s (%s) was reclaimed by another runner; run discarded", job.id, job.kind)
            except Exception as exc:  # noqa: BLE001 (any error of a handler is a failed attempt)
                error = _describe(exc)
            finally:
                _ATTEMPT.reset(token)
                _WRITE_LOCK.reset(lock_token)
                if not committed:
                    discard_pending(session)
                    await session.rollback()
        if committed or error is not None:  # metrics: a reclaimed (discarded) run is not counted
            outcome = committed and ("retry" if verdict[0] == "queued" else verdict[0])
            job_finished(job.kind, outcome, job.attempt < limit)
        if committed:
            await after_commit(session, self.hub)
        elif error is not None:
            log.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempt, error.splitlines()[-1])
            await self._fail(job, error, final=job.attempt >= limit)

    async def _finish(
        self, session: AsyncSession, job: Claimed, state: str, error: str | None, *, retry_in: float | None = None
    ) -> bool:
        """Mark `job` finished in the handler's transaction, if this claim still holds it; with
        `retry_in` (a handler's `RetryLater`) queue it again that many seconds from now."""
        now = utcnow()
        values: dict[str, Any]
        if retry_in is not None:
            values = {"state": "queued", "run_at": now + timedelta(seconds=retry_in), "locked_by": None, "locked_until": None}
        else:
            values = {
                "state": state,
                "finished_at": now,
                "locked_by": None,
                "locked_until": None,
                "dedupe_key": None,  # a finished job no longer blocks a new one with its key
            }
        if error is not None:
            values["last_error"] = error[:MAX_ERROR_CHARS]
        result = await session.execute(
            update(Job)
            .where(Job.id == job.id, Job.locked_by == job.token, Job.state == "running")
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        await session.flush()
        if retry_in is None:
            await self._next_occurrence(session, job.kind)
        return True

    async def _fail(self, job: Claimed, error: str, *, final: bool) -> None:
        async with self._writer() as session:
            if final:
                ok = await self._finish(session, job, "failed", error)
            else:
                delay = backoff_seconds(self.settings, job.attempt)
                result = await session.execute(
                    update(Job)
                    .where(Job.id == job.id, Job.locked_by == job.token, Job.state == "running")
                    .values(
                        state="queued",
                        run_at=utcnow() + timedelta(seconds=delay),
                        last_error=error[:MAX_ERROR_CHARS],
                        locked_by=None,
                        locked_until=None,
                    )
                    .execution_options(synchronize_session=False)
                )
                ok = result.rowcount == 1  # type: ignore[attr-defined]
            if ok:
                await session.commit()

    async def _next_occurrence(self, session: AsyncSession, kind: str) -> None:
        every = RECURRING.get(kind)
        if every is not None:
            await enqueue(
                session, kind, {}, run_at=utcnow() + timedelta(seconds=every), dedupe_key=recurring_key(kind)
            )

    async def ensure_recurring(self) -> None:
        """One queued (or running) job per recurring kind this process can run."""
        kinds = [k for k in sorted(RECURRING) if k in HANDLERS]
        if not kinds:
            return
        async with self._writer() as session:
            for kind in kinds:
                await enqueue(session, kind, {}, dedupe_key=recurring_key(kind))
            await session.commit()

    async def release(self) -> None:
        """Hand back jobs this runner holds (on shutdown), so they run again without waiting for
        the lease to expire. The interrupted attempt still counts."""
        tokens = list(self._held)
        if not tokens:
            return
        async with self._writer() as session:
            await session.execute(
                update(Job)
                .where(Job.locked_by.in_(tokens), Job.state == "running")
                .values(state="queued", locked_by=None, locked_until=None, run_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            await session.commit()

    async def run_forever(self, stop: asyncio.Event | None = None) -> None:
        """Poll every `jobs_poll_interval_seconds` while idle, until `stop` is set or cancelled."""
        stop = stop or asyncio.Event()
        try:
            await self.ensure_recurring()
        except Exception:  # keep going: the next start retries
            log.exception("could not enqueue recurring jobs")
        try:
            while not stop.is_set():
                try:
                    ran = await self.run_due()
                except Exception:  # the database may be briefly away; try again next poll
                    log.exception("job runner poll failed")
                    ran = 0
                if ran:
                    await asyncio.sleep(0)
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.jobs_poll_interval_seconds)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.release())


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out (the job ran longer than jobs_lease_seconds)"
    return "".join(traceback.format_exception(exc)).strip()
