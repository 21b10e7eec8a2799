"""Daily pruning of processed inbox activity ids older than
`federation_processed_retention_days`: redeliveries come within days, so the dedupe table
stays small. Tombstones are kept (a very late Create must still lose)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.jobs import job_handler, recurring
from chaupal.models import ProcessedActivity

PRUNE_EVERY_SECONDS = 24 * 3600
BATCH = 10_000  # rows per DELETE, so one statement never holds locks for long


@recurring("ap_prune_processed", PRUNE_EVERY_SECONDS)
@job_handler("ap_prune_processed")
async def prune_processed(session: AsyncSession, settings: Settings, payload: dict[str, Any]) -> None:
    cutoff = utcnow() - timedelta(days=settings.federation_processed_retention_days)
    while True:
        ids = (
            await session.scalars(
                select(ProcessedActivity.id).where(ProcessedActivity.created_at < cutoff).limit(BATCH)
            )
        ).all()
        if not ids:
            return
        await session.execute(delete(ProcessedActivity).where(ProcessedActivity.id.in_(ids)))
        if len(ids) < BATCH:
            return
