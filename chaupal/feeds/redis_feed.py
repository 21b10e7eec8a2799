"""The Redis home timeline: candidates from the viewer's capped sorted set, merged at read time
with the recent posts of the very large accounts they follow (never fanned out), filtered by
the same SQL rules as chaupal/feeds/sql.py, so both backends return the same pages.

A missing feed, or one built for another follow set, is rebuilt from SQL first (so flushing
Redis loses nothing and a follow/unfollow/block shows at the next read). Pages older than the
feed's horizon are read from SQL with the same conditions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.feeds.redis_store import (
    REBUILD_SCRIPT,
    SENTINEL,
    exact_floor,
    feed_key,
    meta_key,
    parse_ids,
    ttl_seconds,
)
from chaupal.feeds.sql import bounded, home_conditions, home_query, in_ids, memo_statement
from chaupal.lib.paging import Page
from chaupal.models import Account, Follow, Status

MIN_BATCH = 64  # candidates read per Redis round trip (more than the 16 IDs one double can hold)


@dataclass
class _Reader:
    session: AsyncSession
    redis: Any
    key: str
    in_window: Any
    in_index: Any
    params: dict[str, Any]
    big_ids: list[int]
    floor_id: int  # IDs above this are all in the feed (or merged); at or below, read SQL
    batch: int


def _version(author_ids: list[int], big_ids: list[int]) -> str:
    raw = ",".join(map(str, sorted(author_ids))) + "|" + ",".join(map(str, sorted(big_ids)))
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


async def follow_sets(
    session: AsyncSession, settings: Settings, viewer_id: int
) -> tuple[list[int], list[int]]:
    """(viewer + followed accounts, the followed accounts above `feed_fanout_threshold`)."""
    rows = (
        await session.execute(
            select(Follow.target_account_id, Account.followers_count)
            .join(Account, Account.id == Follow.target_account_id)
            .where(Follow.account_id == viewer_id)
        )
    ).all()
    big = [r[0] for r in rows if r[1] > settings.feed_fanout_threshold]
    return [viewer_id, *(r[0] for r in rows)], big


async def rebuild_feed(
    session: AsyncSession,
    redis: Any,
    settings: Settings,
    viewer_id: int,
    author_ids: list[int],
    big_ids: list[int],
) -> float:
    """Write the viewer's feed from SQL (newest `feed_max_entries` posts of the accounts that
    are fanned out); returns its horizon."""
    cap = settings.feed_max_entries
    big = set(big_ids)
    fanned = [a for a in author_ids if a not in big]
    ids = list(
        (
            await session.scalars(
                select(Status.id)
                .where(Status.account_id.in_(fanned))
                .order_by(Status.id.desc())
                .limit(cap + 1)
            )
        ).all()
    )
    horizon = 0.0
    if len(ids) > cap:
        ids = ids[:cap]
        horizon = float(ids[-1])
    key, meta, ttl = feed_key(settings, viewer_id), meta_key(settings, viewer_id), ttl_seconds(settings)
    merge = redis.register_script(REBUILD_SCRIPT)
    async with redis.pipeline(transaction=True) as pipe:
        await merge(keys=[key], args=[horizon, cap, *ids], client=pipe)
        pipe.expire(key, ttl)
        pipe.set(meta, _version(author_ids, big_ids), ex=ttl)
        result = await pipe.execute()
    return float(result[0])


async def _candidates(r: _Reader, cursor: int | None, bound: int, ascending: bool) -> tuple[list[int], int | None]:
    """One Redis round trip: IDs strictly between `cursor` and `bound` (reading order), and the
    edge the window reached (None: the region is exhausted)."""
    if ascending:
        low = float(cursor if cursor is not None else bound)
        raw = await r.redis.zrangebyscore(r.key, low, "+inf", start=0, num=r.batch)
    else:
        high = float(cursor) if cursor is not None else "+inf"
        raw = await r.redis.zrevrangebyscore(r.key, high, float(bound), start=0, num=r.batch)
    edge: int | None = None
    if len(raw) >= r.batch and raw[-1] != SENTINEL:
        edge = int(raw[-1])
        if (not ascending and edge <= bound) or (ascending and cursor is not None and edge <= cursor):
            edge = None
    ids = []
    for i in parse_ids(raw):
        if ascending and (i <= (cursor if cursor is not None else bound)):
            continue
        if not ascending and (i <= bound or (cursor is not None and i >= cursor)):
            continue
        ids.append(i)
    return ids, edge


def _big_posts(r: _Reader, ascending: bool, has_lo: bool, has_hi: bool) -> Any:
    stmt = select(Status.id).where(r.in_window, in_ids(r.session, Status.account_id, "home_big"))
    return bounded(stmt, ascending, has_lo, has_hi)


def _rows(r: _Reader, ascending: bool) -> Any:
    stmt = select(Status).where(in_ids(r.session, Status.id, "home_ids"), r.in_window)
    return bounded(stmt, ascending, False, False)


async def _covered(
    r: _Reader, lower: int, upper: int | None, ascending: bool, limit: int
) -> list[Status]:
    """Statuses with lower < id < upper from the feed merged with the big accounts' posts, in
    reading order, at most `limit`."""
    found: list[Status] = []
    cursor = lower if ascending else upper
    while len(found) < limit:
        if ascending:
            ids, edge = await _candidates(r, cursor, lower, True)
            if upper is not None:
                ids = [i for i in ids if i < upper]
                if edge is not None and edge >= upper:
                    edge = None
        else:
            ids, edge = await _candidates(r, cursor, lower, False)
        if r.big_ids:  # the large accounts' posts in the same window: one indexed query
            if ascending:
                lo, hi = cursor, (edge + 1 if edge is not None else upper)
            else:
                lo, hi = (edge - 1 if edge is not None else lower), cursor
            shape = (ascending, lo is not None, hi is not None)
            stmt = memo_statement(("big", id(r.in_window), *shape), _big_posts, r, *shape)
            values = {**r.params, "home_big": r.big_ids, "home_lo": lo, "home_hi": hi, "home_lim": r.batch}
            big = list((await r.session.scalars(stmt, values)).all())
            if len(big) >= r.batch:  # more big posts than one batch: stop the window at them
                edge = big[-1]
                ids = [i for i in ids if (i <= edge if ascending else i >= edge)]
            ids = sorted(set(ids) | set(big), reverse=not ascending)
        if ids:
            # Only the rows the page still needs are loaded (a batch holds up to 64 candidates).
            stmt = memo_statement(("rows", id(r.in_window), ascending), _rows, r, ascending)
            values = {**r.params, "home_ids": ids, "home_lim": limit - len(found)}
            found.extend((await r.session.scalars(stmt, values)).all())
        if edge is None or (cursor is not None and (edge <= cursor if ascending else edge >= cursor)):
            break
        cursor = edge
    return found


async def _from_sql(
    r: _Reader, lower: int | None, upper: int | None, ascending: bool, limit: int
) -> list[Status]:
    if limit <= 0:
        return []
    stmt, bounds = home_query(r.in_index, lower=lower, upper=upper, ascending=ascending, limit=limit)
    return list((await r.session.scalars(stmt, {**r.params, **bounds})).all())


async def redis_home_timeline(
    session: AsyncSession, redis: Any, settings: Settings, viewer: Account, page: Page
) -> list[Status]:
    """One page of the viewer's home timeline, newest first (same contract as the SQL one)."""
    author_ids, big_ids = await follow_sets(session, settings, viewer.id)
    key, meta = feed_key(settings, viewer.id), meta_key(settings, viewer.id)
    ttl = ttl_seconds(settings)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zscore(key, SENTINEL)
        pipe.get(meta)
        pipe.expire(key, ttl)
        pipe.expire(meta, ttl)
        horizon, version, *_ = await pipe.execute()
    if horizon is None or version != _version(author_ids, big_ids):
        horizon = await rebuild_feed(session, redis, settings, viewer.id, author_ids, big_ids)
    in_window, in_index, params = home_conditions(session, viewer.id, author_ids)
    r = _Reader(
        session, redis, key, in_window, in_index, params, big_ids, exact_floor(float(horizon)),
        max(MIN_BATCH, page.limit * 2),
    )
    t = r.floor_id
    if page.ascending:
        assert page.min_id is not None
        found: list[Status] = []
        if page.min_id < t:
            found = await _from_sql(r, page.min_id, t + 1, True, page.limit)
        if len(found) < page.limit:
            found += await _covered(r, max(page.min_id, t), None, True, page.limit - len(found))
        return list(reversed(found))
    floors = [x for x in (page.since_id, page.min_id) if x is not None]
    floor = max(floors) if floors else 0
    found = []
    if page.max_id is None or page.max_id > t + 1:
        found = await _covered(r, max(floor, t), page.max_id, False, page.limit)
    if len(found) < page.limit and floor < t:
        upper = t + 1 if page.max_id is None else min(page.max_id, t + 1)
        found += await _from_sql(r, floor or None, upper, False, page.limit - len(found))
    return found
