"""Writing and reading the job table: `enqueue` (in the caller's transaction, idempotent per
`dedupe_key` while such a job is unfinished), the retry backoff, and the operators' list/retry."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError, not_found
from chaupal.models import Job


def recurring_key(kind: str) -> str:
    return f"recurring:{kind}"


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    *,
    max_attempts: int | None = None,
) -> Job:
    """Add a job to the caller's transaction (it exists once that commits). With `dedupe_key`,
    an unfinished job with the same key is returned instead of adding another. `max_attempts`
    overrides the runner's `jobs_max_attempts` for this job."""
    if not kind or len(kind) > 64:
        raise ValueError("job kind must be 1-64 characters")
    job = Job(
        kind=kind,
        payload=dict(payload),
        run_at=run_at or utcnow(),
        max_attempts=max_attempts or 0,  # 0: the runner's `jobs_max_attempts`
        dedupe_key=dedupe_key,
    )
    if dedupe_key is None:
        session.add(job)
        await session.flush()
        return job
    existing = await session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    try:
        async with session.begin_nested():
            session.add(job)
            await session.flush()
    except IntegrityError:  # another transaction added it first
        existing = await session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
        if existing is None:
            raise
        return existing
    return job


def backoff_seconds(settings: Settings, attempt: int, rng: random.Random | None = None) -> float:
    """Delay before retry after `attempt` failed attempts: exponential from
    `jobs_backoff_base_seconds`, capped at `jobs_backoff_cap_seconds`, with "equal jitter"
    (somewhere between half and all of it) so failing jobs do not retry in lockstep."""
    exponent = min(max(attempt - 1, 0), 62)
    delay = min(settings.jobs_backoff_cap_seconds, settings.jobs_backoff_base_seconds * 2**exponent)
    return delay / 2 + (rng or random).uniform(0, delay / 2)


async def list_jobs(
    session: AsyncSession, *, failed_only: bool = False, limit: int = 50
) -> list[Job]:
    """Newest first; `failed_only` lists the jobs that gave up (kept for operators)."""
    stmt = select(Job).order_by(Job.id.desc()).limit(limit)
    if failed_only:
        stmt = stmt.where(Job.state == "failed")
    return list((await session.scalars(stmt)).all())


async def do_retry_job(session: AsyncSession, job_id: int) -> Job:
    """Queue a failed (or waiting) job to run now with a fresh set of attempts; its last error
    stays until it succeeds."""
    job = await session.get(Job, job_id)
    if job is None:
        raise not_found()
    if job.state not in ("failed", "queued"):
        raise ApiError(409, f"job {job_id} is {job.state}; only failed or queued jobs can be retried")
    job.state = "queued"
    job.run_at = utcnow()
    job.attempts = 0
    job.finished_at = None
    job.locked_by = job.locked_until = None
    await session.flush()
    return job
