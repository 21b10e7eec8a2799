"""The Redis home-feed backend (issue 6): same pages as the SQL backend in a random world with
reblogs, deletes, blocks, mutes, unfollows and an account above the fan-out threshold; a worker
killed mid-fan-out; Redis flushed; inactive followers skipped and rebuilt on return."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from chaupal.actions.follows import check_block, check_mute, do_unfollow
from chaupal.actions.statuses import do_delete_status
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.feeds.fanout import deliver
from chaupal.feeds.redis_feed import redis_home_timeline
from chaupal.feeds.redis_store import feed_key, redis_feeds_on
from chaupal.feeds.sql import home_timeline
from chaupal.lib.paging import Page
from chaupal.models import Account, Job, Status, User
from tests.feeds import factories as f
from tests.feeds.redis_world import (
    build_world,
    compare,
    more_posts,
    post,
    recount_followers,
    redis_settings,
    runner,
)


@pytest.fixture
async def settings(settings: Settings, redis_url: str) -> Settings:  # the Redis backend on
    return redis_settings(settings, redis_url)


def test_feed_settings__defaults_and_validation() -> None:
    s = Settings()
    assert (s.feed_backend, s.feed_max_entries, s.feed_fanout_batch) == ("sql", 800, 1000)
    assert s.feed_fanout_threshold == 50_000 and s.feed_inactive_days == 30
    assert s.feed_reblog_window_hours == 48
    assert not redis_feeds_on(s)
    assert not redis_feeds_on(Settings(feed_backend="redis"))  # no redis_url: stays on SQL
    assert redis_feeds_on(Settings(feed_backend="redis", redis_url="redis://127.0.0.1:6379/0"))
    with pytest.raises(ValidationError):
        Settings(feed_backend="mongo")


async def _active(session, account_ids, days_ago=0):
    await session.execute(
        update(User).where(User.account_id.in_(account_ids)).values(last_sign_in_at=utcnow() - timedelta(days=days_ago))
    )


async def test_redis_and_sql__same_pages_in_a_random_world(app, session, settings, make_user):
    rng = random.Random(6)
    users = [(await make_user(f"u{i}")).account_id for i in range(12)]
    big, redis = users[0], app.state.redis
    await _active(session, users)
    posts = await build_world(session, settings, users, big, rng)
    await session.commit()
    assert (await session.get(Account, big)).followers_count > settings.feed_fanout_threshold
    for u in users[::2]:  # these feeds exist before the next posts: they get fanned out
        await compare(session, redis, settings, u, 7)
    posts += await more_posts(session, settings, users, rng, 60)
    await session.commit()
    await runner(app, settings).run_until_idle()

    for s in rng.sample(posts, 12):  # deletes (with their reblogs) through the action
        if await session.get(Status, s.id) is not None:
            await do_delete_status(session, s)
    acc = {u: await session.get(Account, u) for u in users}
    await check_block(session, acc[users[1]], acc[users[2]])
    await check_block(session, acc[users[3]], acc[big])
    await check_mute(session, acc[users[4]], acc[users[5]])
    await do_unfollow(session, acc[users[6]], acc[big])
    for t in users[7:10]:
        await do_unfollow(session, acc[users[10]], acc[t])
    await recount_followers(session)
    await session.commit()
    await runner(app, settings).run_until_idle()
    assert not (await session.scalars(select(Job).where(Job.state == "failed"))).all()
    seen = 0
    for u in users:
        seen += await compare(session, redis, settings, u, 4)
    for u in users[:3]:
        seen += await compare(session, redis, settings, u, 20)
    assert seen > 100  # the world is not empty
    horizons = [await redis.zscore(feed_key(settings, u), "!") for u in users]
    assert any(h and h > 0 for h in horizons)  # some feeds were trimmed: deep pages came from SQL


async def test_worker_killed_mid_fanout__reclaimed_without_duplicates(app, session, settings, make_user):
    author = await make_user("author")
    fans = [(await make_user(f"fan{i}")).account_id for i in range(6)]  # at the threshold: fanned out
    await _active(session, [author.account_id, *fans])
    for fan in fans:
        await f.follow(session, fan, author.account_id)
    await recount_followers(session)
    await session.commit()
    redis = app.state.redis
    for fan in fans:  # each fan has a feed (built by reading)
        await redis_home_timeline(session, redis, settings, await session.get(Account, fan), Page())
    status = await post(session, settings, author.account_id)
    await session.commit()

    [claimed] = await runner(app, settings).claim()
    assert claimed.kind == "fanout"
    async with app.state.sessions() as s2:  # the worker gets through one batch of 3, then dies
        handled = await deliver(s2, settings, redis, status.id, author.account_id, max_batches=1)
    assert handled == 3
    delivered = [fan for fan in fans if await redis.zscore(feed_key(settings, fan), str(status.id))]
    assert len(delivered) == 3
    await session.execute(  # its lease runs out
        update(Job).where(Job.id == claimed.id).values(locked_until=utcnow() - timedelta(seconds=1))
    )
    await session.commit()

    assert await runner(app, settings).run_until_idle() == 1
    job = await session.scalar(select(Job).where(Job.id == claimed.id).execution_options(populate_existing=True))
    assert (job.state, job.attempts) == ("done", 2)
    for fan in fans:
        members = await redis.zrange(feed_key(settings, fan), 0, -1)
        assert members.count(str(status.id)) == 1
        page = await redis_home_timeline(session, redis, settings, await session.get(Account, fan), Page())
        assert [s.id for s in page] == [status.id]


async def test_redis_flushed__feeds_rebuilt_from_sql(app, session, settings, make_user):
    rng = random.Random(7)
    users = [(await make_user(f"v{i}")).account_id for i in range(8)]
    await _active(session, users)
    await build_world(session, settings, users, users[0], rng)
    await session.commit()
    await runner(app, settings).run_until_idle()
    redis = app.state.redis
    before = [await compare(session, redis, settings, u, 6) for u in users]
    keys = [k async for k in redis.scan_iter(f"{settings.redis_prefix}feed*")]
    assert keys
    await redis.delete(*keys)  # Redis lost everything
    after = [await compare(session, redis, settings, u, 6) for u in users]
    assert before == after
    assert await redis.exists(feed_key(settings, users[1]))


async def test_inactive_follower__skipped_then_rebuilt_on_return(app, session, settings, make_user):
    author, active, idle = [(await make_user(n)).account_id for n in ("writer", "reader", "sleeper")]
    await _active(session, [author, active])
    await _active(session, [idle], days_ago=settings.feed_inactive_days + 5)
    for fan in (active, idle):
        await f.follow(session, fan, author)
    await recount_followers(session)
    await session.commit()
    redis = app.state.redis
    for fan in (active, idle):
        await redis_home_timeline(session, redis, settings, await session.get(Account, fan), Page())
    await redis.delete(feed_key(settings, idle))  # the sleeper's feed expired (its TTL ran out)
    status = await post(session, settings, author)
    await session.commit()
    await runner(app, settings).run_until_idle()
    assert await redis.zscore(feed_key(settings, active), str(status.id)) is not None
    assert not await redis.exists(feed_key(settings, idle))  # no fan-out into an expired feed
    viewer = await session.get(Account, idle)  # the sleeper returns
    assert [s.id for s in await redis_home_timeline(session, redis, settings, viewer, Page())] == [status.id]
    assert await redis.zscore(feed_key(settings, idle), str(status.id)) is not None


async def test_reader_without_recorded_sign_in__live_feed_still_gets_fanout(app, session, settings, make_user):
    """API-only users (no recent sign-in recorded) who read their home timeline keep getting
    posts: a live feed is activity."""
    author, reader = [(await make_user(n)).account_id for n in ("writer2", "app_user")]
    await _active(session, [author])
    await _active(session, [reader], days_ago=settings.feed_inactive_days + 5)
    await f.follow(session, reader, author)
    await recount_followers(session)
    await session.commit()
    redis = app.state.redis
    await redis_home_timeline(session, redis, settings, await session.get(Account, reader), Page())
    status = await post(session, settings, author)
    await session.commit()
    await runner(app, settings).run_until_idle()
    assert await redis.zscore(feed_key(settings, reader), str(status.id)) is not None


async def test_deleted_status__removed_from_feeds_by_job(app, session, settings, make_user):
    author, fan = [(await make_user(n)).account_id for n in ("poster", "fan")]
    await _active(session, [author, fan])
    await f.follow(session, fan, author)
    await recount_followers(session)
    await session.commit()
    redis = app.state.redis
    await redis_home_timeline(session, redis, settings, await session.get(Account, fan), Page())
    status = await post(session, settings, author)
    await session.commit()
    await runner(app, settings).run_until_idle()
    assert await redis.zscore(feed_key(settings, fan), str(status.id)) is not None
    await do_delete_status(session, status)
    await session.commit()
    await runner(app, settings).run_until_idle()
    for account in (author, fan):
        assert await redis.zscore(feed_key(settings, account), str(status.id)) is None


async def test_home_api__redis_backend_serves_the_route(app, client, session, settings, make_user):
    me, bob = await make_user("me"), await make_user("bob")
    await f.follow(session, me.account_id, bob.account_id)
    await session.commit()
    await f.post(client, bob, "from bob")
    await f.post(client, me, "from me")
    await runner(app, settings).run_until_idle()
    r = await client.get("/api/v1/timelines/home", headers=me.headers)
    assert r.status_code == 200
    viewer = await session.get(Account, me.account_id)
    expected = [str(s.id) for s in await home_timeline(session, viewer, Page())]
    assert [s["id"] for s in r.json()] == expected and len(expected) == 2
    assert await app.state.redis.exists(feed_key(settings, me.account_id))


async def test_reblogs__one_entry_per_original_in_both_backends(app, session, settings, make_user):
    me, bob, carol, dave, erin, stranger = [
        (await make_user(n)).account_id for n in ("me", "bob", "carol", "dave", "erin", "stranger")
    ]
    await _active(session, [me, bob, carol, dave, erin])
    for t in (bob, carol, dave, erin):
        await f.follow(session, me, t)
    await recount_followers(session)
    old = await post(session, settings, stranger, created_at=utcnow() - timedelta(hours=settings.feed_reblog_window_hours + 2))
    await post(session, settings, carol, reblog_of=old)  # its original is long past: shown
    original = await post(session, settings, carol)
    await post(session, settings, bob, reblog_of=original)  # the original is on home: hidden
    s = await post(session, settings, stranger)
    first = await post(session, settings, dave, reblog_of=s)  # first boost of a stranger: shown
    await post(session, settings, erin, reblog_of=s)  # a second boost of it: hidden
    await session.commit()
    await runner(app, settings).run_until_idle()
    viewer = await session.get(Account, me)
    sql = [x.id for x in await home_timeline(session, viewer, Page())]
    red = [x.id for x in await redis_home_timeline(session, app.state.redis, settings, viewer, Page())]
    assert sql == red
    shown = {x.id: x for x in await home_timeline(session, viewer, Page())}
    assert first.id in shown and original.id in shown and len(shown) == 3


async def test_rebuild__keeps_what_a_fanout_added_while_sql_was_read(app, session, settings, make_user):
    """A fan-out that finds no feed leaves the ID behind; a rebuild whose SQL snapshot predates
    the post merges it instead of overwriting it."""
    from chaupal.feeds.redis_feed import follow_sets, rebuild_feed
    from chaupal.feeds.redis_store import ADD_SCRIPT

    author, fan = [(await make_user(n)).account_id for n in ("late", "early")]
    await _active(session, [author, fan])
    await f.follow(session, fan, author)
    older = [await f.status(session, author) for _ in range(3)]
    await session.commit()
    redis, key = app.state.redis, feed_key(settings, fan)
    unseen = older[-1].id + 12345  # committed after the rebuild's SQL snapshot, fanned out meanwhile
    await redis.register_script(ADD_SCRIPT)(keys=[key], args=[unseen, settings.feed_max_entries])
    assert await redis.ttl(key) > 0  # an orphan: it goes away unless a rebuild adopts it
    authors, big = await follow_sets(session, settings, fan)
    assert await rebuild_feed(session, redis, settings, fan, authors, big) == 0.0
    members = await redis.zrange(key, 0, -1)
    assert members == ["!", *(str(s.id) for s in older), str(unseen)]
    assert await redis.ttl(key) > 3600


async def test_rebuild__trims_to_the_cap_and_sets_the_horizon(app, session, settings, make_user):
    from chaupal.feeds.redis_feed import follow_sets, rebuild_feed
    from chaupal.feeds.redis_store import exact_floor

    author, fan = [(await make_user(n)).account_id for n in ("busy", "reader")]
    await f.follow(session, fan, author)
    rows = [await f.status(session, author) for _ in range(settings.feed_max_entries + 5)]
    await session.commit()
    authors, big = await follow_sets(session, settings, fan)
    horizon = await rebuild_feed(session, app.state.redis, settings, fan, authors, big)
    kept = [int(m) for m in await app.state.redis.zrange(feed_key(settings, fan), 0, -1) if m != "!"]
    assert len(kept) == settings.feed_max_entries
    assert exact_floor(horizon) >= rows[4].id and kept[-1] == rows[-1].id
