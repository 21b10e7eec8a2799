"""`GET /metrics`: Prometheus exposition of chaupal/metrics.py plus the job queue (depth and age
of the oldest due job per kind, from one query cached `metrics_queue_cache_seconds`).
Off unless `metrics_enabled`; with `metrics_token` set it wants `Authorization: Bearer <token>`."""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.db import utcnow
from chaupal.errors import ApiError
from chaupal.metrics import CONTENT_TYPE_LATEST, render_process_metrics
from chaupal.models import Job

router = APIRouter()


@dataclass
class KindStats:
    due: int = 0  # queued and due now: waiting for a runner
    scheduled: int = 0  # queued for later (recurring jobs, scheduled posts, retries in backoff)
    running: int = 0
    failed: int = 0  # gave up; kept for operators (`chaupal jobs list --failed`)
    oldest_due_age: float = 0.0  # seconds the oldest due job has waited past its run_at


@dataclass
class QueueStats:
    kinds: dict[str, KindStats] = field(default_factory=dict)


async def queue_stats(session: AsyncSession) -> QueueStats:
    """One grouped query over the unfinished and failed jobs (index ix_jobs_state)."""
    now = utcnow()
    is_due = and_(Job.state == "queued", Job.run_at <= now)
    rows = (
        await session.execute(
            select(
                Job.kind,
                Job.state,
                func.count(),
                func.sum(case((is_due, 1), else_=0)),
                func.min(case((is_due, Job.run_at), else_=None)),
            )
            .where(Job.state.in_(("queued", "running", "failed")))
            .group_by(Job.kind, Job.state)
        )
    ).all()
    stats = QueueStats()
    for kind, state, count, due, oldest in rows:
        entry = stats.kinds.setdefault(kind, KindStats())
        if state == "queued":
            entry.due = int(due or 0)
            entry.scheduled = int(count) - entry.due
            if oldest is not None:
                if oldest.tzinfo is None:  # SQLite hands back naive UTC
                    oldest = oldest.replace(tzinfo=now.tzinfo)
                entry.oldest_due_age = max(0.0, (now - oldest).total_seconds())
        elif state == "running":
            entry.running = int(count)
        else:
            entry.failed = int(count)
    return stats


class _QueueCollector:
    def __init__(self, stats: QueueStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Any]:
        families = {
            "due": GaugeMetricFamily(
                "chaupal_jobs_queued", "Jobs due now and waiting for a runner.", labels=["kind"]
            ),
            "scheduled": GaugeMetricFamily(
                "chaupal_jobs_scheduled",
                "Jobs queued to run later (incl. retries).",
                labels=["kind"],
            ),
            "running": GaugeMetricFamily(
                "chaupal_jobs_running", "Jobs claimed by a runner now.", labels=["kind"]
            ),
            "failed": GaugeMetricFamily(
                "chaupal_jobs_failed",
                "Jobs that gave up and are kept for operators.",
                labels=["kind"],
            ),
            "oldest_due_age": GaugeMetricFamily(
                "chaupal_jobs_oldest_queued_age_seconds",
                "How long the oldest due job has waited past its run_at (0: none waiting).",
                labels=["kind"],
            ),
        }
        for kind, entry in sorted(self.stats.kinds.items()):
            for name, family in families.items():
                family.add_metric([kind], float(getattr(entry, name)))
        yield from families.values()


async def _cached_queue_stats(request: Request) -> QueueStats:
    state = request.app.state
    ttl = state.settings.metrics_queue_cache_seconds
    cached = getattr(state, "metrics_queue_cache", None)
    now = time.monotonic()
    if cached is not None and now - cached[0] < ttl:
        return cached[1]  # type: ignore[no-any-return]
    async with state.read_sessions() as session:
        stats = await queue_stats(session)
    state.metrics_queue_cache = (now, stats)
    return stats


def _check_access(request: Request) -> None:
    settings = request.app.state.settings
    if not settings.metrics_enabled:
        raise ApiError(404, "Record not found")
    token = settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            value.strip().encode("utf-8", "replace"), token.encode()
        ):
            raise ApiError(401, "The access token is invalid")


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    _check_access(request)
    registry = CollectorRegistry()
    registry.register(_QueueCollector(await _cached_queue_stats(request)))  # type: ignore[arg-type]
    body = render_process_metrics() + generate_latest(registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
