"""Processed inbox activity ids are pruned after the retention window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from chaupal.db import utcnow
from chaupal.federation.inbox_prune import prune_processed
from chaupal.models import ProcessedActivity


async def test_prune__only_rows_older_than_retention_go(session, settings):
    now = utcnow()
    days = settings.federation_processed_retention_days
    session.add_all([
        ProcessedActivity(uri="https://r.example/old", created_at=now - timedelta(days=days + 1)),
        ProcessedActivity(uri="https://r.example/new", created_at=now - timedelta(days=days - 1)),
    ])
    await session.flush()

    await prune_processed(session, settings, {})

    assert (await session.scalars(select(ProcessedActivity.uri))).all() == ["https://r.example/new"]
