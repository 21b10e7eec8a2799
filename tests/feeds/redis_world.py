"""Helpers for the Redis feed tests: settings with the Redis backend on small limits, a
random-ish world, and page-by-page comparison of the two backends."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.feeds.fanout import queue_fanout
from chaupal.feeds.redis_feed import redis_home_timeline
from chaupal.feeds.sql import home_timeline
from chaupal.jobs import JobRunner
from chaupal.lib.paging import Page
from chaupal.models import Account, Follow, Status
from tests.feeds import factories as f

SMALL = {
    "feed_backend": "redis",
    "feed_max_entries": 25,  # small, so deep pages cross the horizon into SQL
    "feed_fanout_batch": 3,
    "feed_fanout_threshold": 6,
}


def redis_settings(base: Settings, redis_url: str, **extra: Any) -> Settings:
    return base.model_copy(update={**SMALL, "redis_url": redis_url, **extra})


async def recount_followers(session: AsyncSession) -> None:
    counts = dict(
        (await session.execute(select(Follow.target_account_id, func.count()).group_by(Follow.target_account_id))).all()
    )
    for account_id in (await session.scalars(select(Account.id))).all():
        await session.execute(
            update(Account).where(Account.id == account_id).values(followers_count=counts.get(account_id, 0))
        )
    await session.flush()


async def post(session: AsyncSession, settings: Settings, account_id: int, **kw: Any) -> Status:
    """A status row plus its fan-out job, as check_create_status does."""
    status = await f.status(session, account_id, **kw)
    await queue_fanout(session, settings, status)
    return status


def runner(app: Any, settings: Settings) -> JobRunner:
    return JobRunner(app.state.sessions, settings, write_lock=app.state.write_lock)


async def pages(fetch: Any, limit: int) -> list[list[int]]:
    """Walk newest-first with max_id, then back up with min_id and since_id from a middle ID;
    every page's IDs, in order."""
    out: list[list[int]] = []
    cursor = None
    everything: list[int] = []
    while True:
        page = await fetch(Page(max_id=cursor, limit=limit))
        out.append(page)
        if not page:
            break
        everything += page
        cursor = page[-1]
    for anchor in everything[:: max(1, len(everything) // 5)]:
        cursor = anchor
        for _ in range(50):  # newer pages with min_id (ascending fill)
            page = await fetch(Page(min_id=cursor, limit=limit))
            out.append(page)
            if not page:
                break
            cursor = page[0]
        out.append(await fetch(Page(since_id=anchor, limit=limit)))
        out.append(await fetch(Page(since_id=anchor, max_id=everything[0], limit=limit)))
    return out


async def compare(session: AsyncSession, redis: Any, settings: Settings, account_id: int, limit: int) -> int:
    """Assert both backends give the same pages to `account_id`; returns statuses seen."""
    viewer = await session.get(Account, account_id)

    async def sql(page: Page) -> list[int]:
        return [s.id for s in await home_timeline(session, viewer, page)]

    async def red(page: Page) -> list[int]:
        return [s.id for s in await redis_home_timeline(session, redis, settings, viewer, page)]

    expected = await pages(sql, limit)
    got = await pages(red, limit)
    assert got == expected, f"account {account_id}, limit {limit}"
    for page in got:
        assert len(page) == len(set(page))
    return len(expected[0]) + sum(len(p) for p in expected[1:2])


async def build_world(session: AsyncSession, settings: Settings, users: list[int], big: int, rng: random.Random) -> list[Status]:
    """Follows (some with show_reblogs off), a big account everyone follows, and posts of
    every kind: public/unlisted/private/direct, replies, reblogs, mentions."""
    for u in users:
        if u != big:
            await f.follow(session, u, big)
        for t in rng.sample(users, 4):
            if t not in (u, big):
                await f.follow(session, u, t, show_reblogs=rng.random() > 0.25)
    await recount_followers(session)
    return await more_posts(session, settings, users, rng, 90)


async def more_posts(
    session: AsyncSession, settings: Settings, users: list[int], rng: random.Random, n: int
) -> list[Status]:
    made: list[Status] = []
    boosted: set[tuple[int, int]] = set()
    for _ in range(n):
        author = rng.choice(users)
        roll = rng.random()
        if made and roll < 0.2:
            target = rng.choice(made)
            if (
                target.reblog_of_id is None
                and target.visibility in ("public", "unlisted")
                and (author, target.id) not in boosted
            ):
                boosted.add((author, target.id))
                made.append(await post(session, settings, author, reblog_of=target))
                continue
        kw: dict[str, Any] = {"visibility": rng.choice(["public", "public", "unlisted", "private", "direct"])}
        if made and roll > 0.8:
            parent = rng.choice(made)
            if parent.reblog_of_id is None:
                kw["reply_to"] = parent
        if rng.random() < 0.2:
            kw["mentions"] = [rng.choice(users)]
        made.append(await post(session, settings, author, **kw))
    return made
