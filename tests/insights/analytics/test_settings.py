"""The analytics limits are settings and are enforced: days rolled per job run, top posts and
best days per report, and the open counter's flush threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from chaupal.insights.analytics.job import do_rollup_pending
from chaupal.insights.analytics.report import account_report, parse_query
from chaupal.models import Account, AnalyticsDay, StatusOpen
from tests.insights.analytics.dataset import generate


async def test_rollup_max_days__bounds_one_round(session: Any, settings: Any) -> None:
    await generate(session, seed=4, n_accounts=4, days=6)
    await session.commit()
    limited = settings.model_copy(update={"analytics_rollup_max_days": 2})
    _r, remaining = await do_rollup_pending(session, limited, datetime.now(UTC))
    await session.commit()
    rolled = (await session.scalars(select(AnalyticsDay.day))).all()
    assert len(rolled) == 3 and remaining > 0  # two oldest days, and today always


async def test_top_posts_and_best_days__limits(session: Any, settings: Any) -> None:
    ds = await generate(session, seed=8, n_accounts=3, days=6)
    await session.commit()
    await do_rollup_pending(session, settings, datetime.now(UTC), max_days=100)
    await session.commit()
    limited = settings.model_copy(update={"analytics_top_posts": 1, "analytics_best_days": 1})
    today = datetime.now(UTC).date()
    query = parse_query(limited, today, (ds.first - timedelta(days=3)).isoformat(), None, None)
    sizes = []
    for aid in ds.accounts:
        account = await session.get(Account, aid)
        report = await account_report(session, limited, account, query, today)
        sizes.append((len(report["top_posts"]), len(report["best_days"]), len(report["worst_days"])))
    assert max(sizes) == (1, 1, 1)


async def test_open_flush_keys__flushes_when_reached(app: Any, client: httpx.AsyncClient, make_user: Any) -> None:
    app.state.settings = app.state.settings.model_copy(update={"analytics_open_flush_keys": 1})
    author, reader = await make_user("author"), await make_user("reader")
    r = await client.post("/api/v1/statuses", json={"status": "hello"}, headers=author.headers)
    sid = int(r.json()["id"])
    assert (await client.get(f"/api/v1/statuses/{sid}", headers=reader.headers)).status_code == 200
    task = app.state.open_counter.task
    assert task is not None
    await task
    async with app.state.read_sessions() as s:
        assert await s.scalar(select(StatusOpen.opens).where(StatusOpen.status_id == sid)) == 1
