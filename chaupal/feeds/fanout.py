"""Fan-out on write for the Redis home feeds: `queue_fanout` / `queue_feed_delete` add a job in
the posting (deleting) transaction; the "fanout" job walks the author's local followers in
batches of `feed_fanout_batch` and adds the post to each active follower's feed with one
pipelined round trip per batch. Authors above `feed_fanout_threshold` only reach their own
feed (readers merge their posts). Every step is idempotent, so a reclaimed job duplicates
nothing.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import session_settings, utcnow
from chaupal.feeds.redis_store import (
    ADD_SCRIPT,
    feed_key,
    redis_client,
    redis_feeds_on,
)
from chaupal.jobs import enqueue, job_handler
from chaupal.metrics import fanout_delivered
from chaupal.models import AccessToken, Account, Follow, Mention, Status, User


async def queue_fanout(session: AsyncSession, settings: Settings, status: Status) -> None:
    """Deliver `status` to home feeds once this transaction commits (Redis backend only).
    Call it once, in the transaction that creates `status`."""
    if redis_feeds_on(settings):
        # No dedupe key: `status` is new (a post or a reblog), so no job can exist for it yet,
        # and a dedupe check would cost a SELECT and a savepoint per post.
        await enqueue(
            session, "fanout", {"status_id": status.id, "account_id": status.account_id}
        )


async def queue_feed_delete(session: AsyncSession, statuses: list[Status]) -> None:
    """Remove deleted statuses from their authors' followers' feeds (readers already skip
    them: this only gives the space back)."""
    settings = session_settings(session)
    if settings is None or not redis_feeds_on(settings) or not statuses:
        return
    by_author: dict[int, list[int]] = {}
    for s in statuses:
        by_author.setdefault(s.account_id, []).append(s.id)
    for author, ids in by_author.items():
        await enqueue(session, "feed_delete", {"account_id": author, "status_ids": ids})


def active_clause(settings: Settings, now: Any = None) -> Any:
    """The follower's User signed in, or used a token, within `feed_inactive_days`."""
    cutoff = (now or utcnow()) - timedelta(days=settings.feed_inactive_days)
    return or_(
        User.last_sign_in_at >= cutoff,
        exists().where(AccessToken.user_id == User.id, AccessToken.last_used_at >= cutoff),
    )


async def follower_batches(
    session: AsyncSession, settings: Settings, author_id: int, only: list[int] | None = None
) -> Any:
    """Yield lists of (follower account ID, active) for the author's local followers (those
    with a User row), in keyset order; `only` restricts them (a direct post reaches only those it mentions)."""
    after = 0
    active = active_clause(settings)
    while True:  # keyset over ix_follows_target (target_account_id, id)
        stmt = (
            select(Follow.id, Follow.account_id, active.label("active"))
            .join(User, User.account_id == Follow.account_id)  # local followers have a User
            .where(Follow.target_account_id == author_id, Follow.id > after)
            .order_by(Follow.id)
            .limit(settings.feed_fanout_batch)
        )
        if only is not None:
            stmt = stmt.where(Follow.account_id.in_(only))
        rows = (await session.execute(stmt)).all()
        if not rows:
            return
        yield [(r[1], bool(r[2])) for r in rows]
        after = rows[-1][0]
        if len(rows) < settings.feed_fanout_batch:
            return


async def deliver(
    session: AsyncSession,
    settings: Settings,
    redis: Any,
    status_id: int,
    author_id: int,
    *,
    max_batches: int | None = None,
) -> int:
    """Add `status_id` to the feeds of its author and the author's active local followers (signed
    in recently, or with a live feed); other followers have no feed (rebuilt when they read). Returns how many
    followers were handled. `max_batches` stops early (tests of an interrupted worker)."""
    status = await session.get(Status, status_id)
    if status is None:
        return 0
    add = redis.register_script(ADD_SCRIPT)
    cap = settings.feed_max_entries
    fanout_delivered(int(await add(keys=[feed_key(settings, author_id)], args=[status_id, cap])))
    followers = await session.scalar(select(Account.followers_count).where(Account.id == author_id))
    if (followers or 0) > settings.feed_fanout_threshold:
        return 0  # merged at read time
    only = None
    if status.visibility == "direct":
        only = list((await session.scalars(select(Mention.account_id).where(Mention.status_id == status_id))).all())
    async def send(rows: list[tuple[int, bool]]) -> int:
        # Recently signed-in followers always get the post; the others only if their feed is
        # live (they read it within feed_inactive_days); a feed that expired is rebuilt from
        # SQL on their next read.
        active = [feed_key(settings, f) for f, is_active in rows if is_active]
        other = [feed_key(settings, f) for f, is_active in rows if not is_active]
        async with redis.pipeline(transaction=False) as pipe:  # one round trip per batch
            if active:
                await add(keys=active, args=[status_id, cap], client=pipe)
            if other:
                # only into live feeds: reading the home timeline within feed_inactive_days
                # (which refreshes the feed's TTL) counts as activity
                await add(keys=other, args=[status_id, cap, "live"], client=pipe)
            results = await pipe.execute()
        added = sum(int(r) for r in results)
        fanout_delivered(added)
        return added

    handled = batches = 0
    sending: asyncio.Task[int] | None = None
    try:
        # Batch k goes to Redis while batch k+1 is read from SQL.
        async for rows in follower_batches(session, settings, author_id, only):
            if sending is not None:
                await sending
            sending = asyncio.ensure_future(send(rows))
            handled += len(rows)
            batches += 1
            if max_batches is not None and batches >= max_batches:
                break
        if sending is not None:
            await sending
    finally:
        if sending is not None and not sending.done():
            sending.cancel()
    return handled


async def remove(
    session: AsyncSession, settings: Settings, redis: Any, author_id: int, status_ids: list[int]
) -> None:
    members = [str(i) for i in status_ids]
    await redis.zrem(feed_key(settings, author_id), *members)
    async for rows in follower_batches(session, settings, author_id):
        async with redis.pipeline(transaction=False) as pipe:
            for follower_id, _ in rows:
                pipe.zrem(feed_key(settings, follower_id), *members)
            await pipe.execute()


@job_handler("fanout")
async def fanout_job(session: AsyncSession, settings: Settings, payload: dict[str, Any]) -> None:
    if not redis_feeds_on(settings):
        return
    async with redis_client(settings) as redis:
        await deliver(session, settings, redis, int(payload["status_id"]), int(payload["account_id"]))


@job_handler("feed_delete")
async def feed_delete_job(session: AsyncSession, settings: Settings, payload: dict[str, Any]) -> None:
    if not redis_feeds_on(settings):
        return
    async with redis_client(settings) as redis:
        await remove(session, settings, redis, int(payload["account_id"]), [int(i) for i in payload["status_ids"]])


__all__ = ["deliver", "queue_fanout", "queue_feed_delete", "remove"]
