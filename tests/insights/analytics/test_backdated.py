"""Backdated favourites and reblogs (the demo's six months, imports) take IDs and times from
their own moment, so the rollups count them on their day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chaupal.actions.interactions import check_favourite, check_reblog
from chaupal.actions.statuses import check_create_status
from chaupal.insights.analytics.job import demo_backfill
from chaupal.lib.ids import id_time
from chaupal.models import Account, AccountDaily


async def test_backdated_interactions__counted_on_their_day(session: Any, settings: Any, make_user: Any) -> None:
    a, b = await make_user("writer"), await make_user("reader")
    writer, reader = await session.get(Account, a.account_id), await session.get(Account, b.account_id)
    now = datetime.now(UTC)
    posted, liked = now - timedelta(days=20), now - timedelta(days=19)
    status = await check_create_status(session, settings, writer, text="old news", created_at=posted)
    await check_favourite(session, reader, status, created_at=liked)
    reblog = await check_reblog(session, settings, reader, status, created_at=liked)
    assert reblog.created_at == liked and abs((id_time(reblog.id) - liked).total_seconds()) < 0.01
    await session.commit()
    await demo_backfill(session, settings, now)
    await session.commit()
    row = await session.get(AccountDaily, (writer.id, liked.date()))
    assert (row.favourites, row.reposts) == (1, 1)
    assert await session.get(AccountDaily, (writer.id, now.date())) is None
