"""Rollups equal a direct count over the raw rows, are idempotent and incremental, and the
recurring job finalises days and re-rolls days touched by late changes (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from chaupal.actions.analytics import do_mark_dirty
from chaupal.actions.follows import check_follow, do_unfollow
from chaupal.insights.analytics.days import as_date, day_start
from chaupal.insights.analytics.job import demo_backfill, do_rollup_pending, pending_days, roll_days
from chaupal.insights.analytics.rollup import ACCOUNT_METRICS, POST_METRICS, rollup_run
from chaupal.jobs import JobRunner, enqueue
from chaupal.lib.ids import new_id
from chaupal.models import (
    Account,
    AccountDaily,
    AccountEvent,
    AnalyticsDay,
    AnalyticsDirtyDay,
    PostDaily,
    Status,
)
from tests.insights.analytics.dataset import generate, oracle


async def stored(session: Any) -> tuple[dict[Any, dict[str, int]], dict[Any, dict[str, int]]]:
    acct = {
        (r.account_id, as_date(r.day)): {m: getattr(r, m) for m in (*ACCOUNT_METRICS, "followers")}
        for r in (await session.scalars(select(AccountDaily))).all()
    }
    post = {
        (r.status_id, as_date(r.day)): {m: getattr(r, m) for m in POST_METRICS}
        for r in (await session.scalars(select(PostDaily))).all()
    }
    return acct, post


def assert_same(got: dict[Any, Any], want: dict[Any, Any]) -> None:
    assert set(got) == set(want), (sorted(set(got) - set(want))[:5], sorted(set(want) - set(got))[:5])
    for key, value in want.items():
        assert got[key] == value, (key, got[key], value)


async def test_rollup__generated_dataset__equals_direct_count(session: Any, settings: Any) -> None:
    await generate(session, seed=11, n_accounts=9, days=8)
    await session.commit()
    now = datetime.now(UTC)
    await demo_backfill(session, settings, now)
    await session.commit()
    acct, post = await stored(session)
    want_acct, want_post = await oracle(session)
    assert len(want_acct) > 20 and len(want_post) > 10  # the dataset is not trivially small
    assert any(v["unfollows"] for v in want_acct.values()) and any(v["reach"] for v in want_acct.values())
    assert_same(acct, want_acct)
    assert_same(post, want_post)


async def test_rollup__run_twice_or_day_by_day__same_numbers(session: Any, settings: Any) -> None:
    ds = await generate(session, seed=5, n_accounts=6, days=5)
    await session.commit()
    await rollup_run(session, ds.first - timedelta(days=3), ds.last)
    await session.commit()
    once = await stored(session)
    await rollup_run(session, ds.first - timedelta(days=3), ds.last)  # the same run again
    await session.commit()
    assert await stored(session) == once
    start = ds.first - timedelta(days=3)
    for n in reversed(range((ds.last - start).days + 1)):  # incremental: one day at a time, backwards
        day = start + timedelta(days=n)
        await rollup_run(session, day, day)
    await session.commit()
    assert await stored(session) == once


async def test_job__finalises_old_days__rerolls_dirty_day(session: Any, settings: Any) -> None:
    ds = await generate(session, seed=3, n_accounts=5, days=4)
    await session.commit()
    now = datetime.now(UTC)
    _result, remaining = await do_rollup_pending(session, settings, now)
    await session.commit()
    assert remaining == 0
    days = {as_date(r.day): r.final for r in (await session.scalars(select(AnalyticsDay))).all()}
    assert days[ds.first] is True and days[now.date()] is False
    assert (await pending_days(session, now))[0] == [now.date()]  # only today is left to roll
    # A late, backdated post on a final day: without a mark the day is not re-rolled ...
    author = await session.get(Account, ds.accounts[0])
    at = day_start(ds.first) + timedelta(hours=12, seconds=7)
    session.add(Status(id=new_id(at), account_id=author.id, text="late", created_at=at))
    await session.flush()
    do_mark_dirty(session, at)
    await session.commit()
    assert ds.first in (await pending_days(session, now))[0]
    await do_rollup_pending(session, settings, now)
    await session.commit()
    assert await session.scalar(select(AnalyticsDirtyDay.id)) is None
    acct, post = await stored(session)
    want_acct, want_post = await oracle(session)
    assert_same(acct, want_acct)
    assert_same(post, want_post)


async def test_job__max_days_per_run__backlog_in_later_runs(session: Any, settings: Any) -> None:
    await generate(session, seed=9, n_accounts=4, days=6)
    await session.commit()
    now = datetime.now(UTC)
    _r, remaining = await do_rollup_pending(session, settings, now, max_days=3)
    await session.commit()
    assert remaining > 0
    while remaining:
        _r, remaining = await do_rollup_pending(session, settings, now, max_days=3)
        await session.commit()
    acct, post = await stored(session)
    want_acct, want_post = await oracle(session)
    assert_same(acct, want_acct)
    assert_same(post, want_post)


async def test_unfollow_action__logged_and_counted(app: Any, session: Any, settings: Any, make_user: Any) -> None:
    a, b = await make_user("fan"), await make_user("star")
    fan, star = await session.get(Account, a.account_id), await session.get(Account, b.account_id)
    await check_follow(session, settings, fan, star)
    await session.commit()
    await do_unfollow(session, fan, star)
    await session.commit()
    event = await session.scalar(select(AccountEvent))
    assert (event.kind, event.account_id, event.actor_id) == ("unfollow", star.id, fan.id)
    assert event.followed_at is not None and event.followed_at <= event.at
    today = datetime.now(UTC).date()
    await roll_days(session, settings, [today], datetime.now(UTC))
    await session.commit()
    row = await session.get(AccountDaily, (star.id, today))
    assert (row.new_followers, row.unfollows, row.followers) == (1, 1, 0)


async def test_job_runner__runs_recurring_rollup(app: Any, session: Any, settings: Any) -> None:
    await generate(session, seed=2, n_accounts=4, days=3)
    await enqueue(session, "analytics_rollup", {})
    await session.commit()
    runner = JobRunner(app.state.sessions, settings, write_lock=app.state.write_lock)
    assert await runner.run_due() == 1
    assert await session.scalar(select(AccountDaily.account_id).limit(1)) is not None
