"""Which code runs each kind of job: `@job_handler("kind")` registers an
`async def handler(session, settings, payload) -> None`; `recurring("kind", every_seconds)`
asks the runner to keep one queued job of that kind and to re-enqueue it after each run."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings

Handler = Callable[[AsyncSession, Settings, dict[str, Any]], Awaitable[None]]

HANDLERS: dict[str, Handler] = {}
RECURRING: dict[str, float] = {}

# Modules whose import registers handlers; the runner imports them before it claims anything.
# A module that defines a @job_handler adds itself here.
HANDLER_MODULES: list[str] = [
    "chaupal.actions.scheduled",
    "chaupal.actions.link_verification",
    "chaupal.gov.snapshot_job",
    "chaupal.insights.trends.job",
    "chaupal.insights.analytics.job",
    "chaupal.feeds.fanout",
    "chaupal.federation.delivery",
    "chaupal.federation.media_cache",
    "chaupal.federation.inbox_prune",
]


class JobFailed(Exception):
    """Raised by a handler to end its job as `failed` at once, without retries. Unlike any other
    exception, the handler's writes so far are committed with the failure (roll back a
    savepoint first if some of them must not stay)."""


class RetryLater(Exception):
    """Raised by a handler that keeps its own retry schedule (e.g. federation delivery): the job
    runs again in `delay_seconds` instead of after the runner's backoff, and, as with `JobFailed`,
    the handler's writes so far are committed. The attempt counts; at the job's last attempt it
    ends as `failed` with `message`. `current_attempt()` tells the handler which attempt this is."""

    def __init__(self, delay_seconds: float, message: str = "") -> None:
        super().__init__(message or f"retry in {delay_seconds:.0f}s")
        self.delay_seconds = max(0.0, float(delay_seconds))
        self.message = message or str(self)


# (attempt, max_attempts) of the job running in this task; (1, 1) outside the runner.
_ATTEMPT: ContextVar[tuple[int, int]] = ContextVar("chaupal_job_attempt", default=(1, 1))


def current_attempt() -> tuple[int, int]:
    """(this run's attempt number from 1, the job's attempt limit) inside a job handler."""
    return _ATTEMPT.get()


# The SQLite writer lock the runner holds while a handler runs (None on PostgreSQL).
_WRITE_LOCK: ContextVar[asyncio.Lock | None] = ContextVar("chaupal_job_write_lock", default=None)


@contextlib.asynccontextmanager
async def network_phase(session: AsyncSession) -> AsyncIterator[None]:
    """Wrap a handler's slow outside work (an HTTP request, a download) in this: the handler's
    writes so far are committed first, and in embedded SQLite mode the app's writer lock is let
    go until the block ends, so web requests are not held up for seconds behind a remote
    server. After the block the handler continues in a new transaction of the same session; the
    runner marks the job done in it as usual. Only for handlers whose earlier writes may stand
    alone (a retry re-runs the handler from the start)."""
    if session.in_transaction():
        await session.commit()
    lock = _WRITE_LOCK.get()
    if lock is None or not lock.locked():
        yield
        return
    lock.release()
    try:
        yield
    finally:
        # Shielded: even if the job is cancelled (its lease timeout) while waiting here, the lock
        # ends up held again, so the runner's own release stays balanced.
        await asyncio.shield(lock.acquire())


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register `handler` for jobs of `kind` (one handler per kind)."""

    def register(handler: Handler) -> Handler:
        existing = HANDLERS.get(kind)
        if existing is not None and existing is not handler and (
            existing.__module__,
            existing.__qualname__,
        ) != (handler.__module__, handler.__qualname__):
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        HANDLERS[kind] = handler
        return handler

    return register


def recurring(kind: str, every_seconds: float) -> Callable[[Any], Any]:
    """Run jobs of `kind` every `every_seconds` (payload `{}`); usable as a plain call or as a
    decorator stacked on the `@job_handler`."""
    if every_seconds <= 0:
        raise ValueError("every_seconds must be positive")
    RECURRING[kind] = float(every_seconds)
    return lambda f: f


def load_handlers() -> dict[str, Handler]:
    for name in HANDLER_MODULES:
        importlib.import_module(name)
    return HANDLERS
