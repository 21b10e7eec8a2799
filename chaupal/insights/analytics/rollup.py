"""Rolling up a run of UTC days from the raw rows: per post and per account, replies, reposts,
favourites (from other accounts), opens, mentions, posts, follows begun and ended, followers at
the end of each day and reach. Deletes the run's old rows and writes new ones: idempotent.

Reach of a post = the author's followers at the moment it was posted (with the SQL home
timeline, exactly the home timelines it is delivered to); a day's reach sums its posts'."""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from chaupal.insights.analytics.days import as_date, day_end, day_of, day_start
from chaupal.lib.ids import id_floor
from chaupal.models import (
    AccountDaily,
    AccountEvent,
    Favourite,
    Follow,
    Mention,
    PostDaily,
    Status,
    StatusOpen,
)

ACCOUNT_METRICS = (
    "posts", "replies", "reposts", "favourites", "mentions", "new_followers", "unfollows", "reach", "opens",
)
POST_METRICS = ("replies", "reposts", "favourites", "opens", "reach")
BATCH = 500  # account ids per IN (...) list
INSERT_CHUNK = 5000
LOCK_KEY = 0x43_68_61_41  # PostgreSQL advisory lock: one rollup at a time ("ChaA")


@dataclass
class RollupResult:
    days: int = 0
    account_rows: int = 0
    post_rows: int = 0


def _in_range(model: Any, t0: datetime, t1: datetime) -> list[Any]:
    """Rows made in [t0, t1): the ID range uses the primary key (IDs are time-sortable and
    backdated rows take IDs from their own time, see lib/ids.py); created_at makes it exact."""
    return [model.id >= id_floor(t0), model.id < id_floor(t1), model.created_at >= t0, model.created_at < t1]


class _Run:
    def __init__(self, session: AsyncSession, first: date, last: date) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self.first, self.last = first, last
        self.t0, self.t1 = day_start(first), day_end(last)
        self.post: dict[tuple[int, date], dict[str, int]] = defaultdict(lambda: dict.fromkeys(POST_METRICS, 0))
        self.author: dict[int, int] = {}
        self.acct: dict[tuple[int, date], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(ACCOUNT_METRICS, 0)
        )

    def day(self, column: Any) -> Any:
        return day_of(column, self.dialect)

    async def rows(self, stmt: Any) -> list[Any]:
        return list((await self.session.execute(stmt)).all())

    async def engagement(self) -> None:
        """Replies, reposts, favourites and opens per post and day, from other accounts."""
        t0, t1 = self.t0, self.t1
        p, r = aliased(Status), aliased(Status)
        shown = p.visibility != "direct"
        reply_day = repost_day = self.day(r.created_at)
        fav_day = self.day(Favourite.created_at)
        queries = {
            "replies": select(p.id, p.account_id, reply_day, func.count())
            .join(p, r.in_reply_to_id == p.id)
            .where(*_in_range(r, t0, t1), r.reblog_of_id.is_(None), r.visibility != "direct", shown,
                   r.account_id != p.account_id)
            .group_by(p.id, p.account_id, reply_day),
            "reposts": select(p.id, p.account_id, repost_day, func.count())
            .join(p, r.reblog_of_id == p.id)
            .where(*_in_range(r, t0, t1), shown, r.account_id != p.account_id)
            .group_by(p.id, p.account_id, repost_day),
            "favourites": select(p.id, p.account_id, fav_day, func.count())
            .join(p, Favourite.status_id == p.id)
            .where(*_in_range(Favourite, t0, t1), shown, Favourite.account_id != p.account_id)
            .group_by(p.id, p.account_id, fav_day),
        }
        for metric, stmt in queries.items():
            for sid, aid, day, n in await self.rows(stmt):
                self._add_post(sid, aid, as_date(day), metric, n)
        opens = (
            select(StatusOpen.status_id, p.account_id, StatusOpen.day, StatusOpen.opens)
            .join(p, StatusOpen.status_id == p.id)
            .where(StatusOpen.day >= self.first, StatusOpen.day <= self.last, shown)
        )
        for sid, aid, day, n in await self.rows(opens):
            self._add_post(sid, aid, as_date(day), "opens", n)

    def _add_post(self, sid: int, aid: int, day: date, metric: str, n: int) -> None:
        self.post[(sid, day)][metric] += n
        self.author[sid] = aid
        self.acct[(aid, day)][metric] += n

    async def posts(self) -> dict[int, list[tuple[datetime, int]]]:
        """Each author's posts in the run (not reblogs, not direct), by time."""
        stmt = select(Status.id, Status.account_id, Status.created_at).where(
            *_in_range(Status, self.t0, self.t1), Status.reblog_of_id.is_(None), Status.visibility != "direct"
        )
        by_author: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
        for sid, aid, at in await self.rows(stmt):
            by_author[aid].append((at, sid))
            self.author[sid] = aid
            self.acct[(aid, at.date())]["posts"] += 1
        for items in by_author.values():
            items.sort()
        return by_author

    async def mentions(self) -> None:
        s = aliased(Status)
        stmt = (
            select(Mention.account_id, self.day(s.created_at), func.count())
            .join(s, Mention.status_id == s.id)
            .where(*_in_range(s, self.t0, self.t1), s.visibility != "direct", s.reblog_of_id.is_(None),
                   Mention.account_id != s.account_id)
            .group_by(Mention.account_id, self.day(s.created_at))
        )
        for aid, day, n in await self.rows(stmt):
            self.acct[(aid, as_date(day))]["mentions"] += n

    async def follow_changes(self) -> dict[int, list[tuple[datetime, int]]]:
        """Per followed account, (time, +1) for each follow begun in the run (still standing or
        ended since) and (time, -1) for each ended in it, sorted."""
        t0, t1 = self.t0, self.t1
        changes: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
        began = select(Follow.target_account_id, Follow.created_at).where(*_in_range(Follow, t0, t1))
        began_gone = select(AccountEvent.account_id, AccountEvent.followed_at).where(
            AccountEvent.kind == "unfollow", AccountEvent.followed_at >= t0, AccountEvent.followed_at < t1
        )
        ended = select(AccountEvent.account_id, AccountEvent.at).where(
            AccountEvent.kind == "unfollow", AccountEvent.at >= t0, AccountEvent.at < t1
        )
        for stmt, sign in ((began, 1), (began_gone, 1), (ended, -1)):
            for aid, at in await self.rows(stmt):
                changes[aid].append((at, sign))
                self.acct[(aid, at.date())]["new_followers" if sign > 0 else "unfollows"] += 1
        for items in changes.values():
            items.sort()
        return changes

    async def followers_before(self, account_ids: list[int]) -> dict[int, int]:
        """Followers of each account at the start of the run."""
        t0 = self.t0
        base: dict[int, int] = defaultdict(int)
        for i in range(0, len(account_ids), BATCH):
            chunk = account_ids[i : i + BATCH]
            standing = (
                select(Follow.target_account_id, func.count())
                .where(Follow.target_account_id.in_(chunk), Follow.id < id_floor(t0))
                .group_by(Follow.target_account_id)
            )
            gone = (
                select(AccountEvent.account_id, func.count())
                .where(AccountEvent.account_id.in_(chunk), AccountEvent.kind == "unfollow",
                       AccountEvent.at >= t0, AccountEvent.followed_at < t0)
                .group_by(AccountEvent.account_id)
            )
            for stmt in (standing, gone):
                for aid, n in await self.rows(stmt):
                    base[aid] += n
        return base

    def followers_and_reach(
        self,
        base: dict[int, int],
        changes: dict[int, list[tuple[datetime, int]]],
        posts: dict[int, list[tuple[datetime, int]]],
    ) -> None:
        running = {aid: list(itertools.accumulate((sign for _, sign in items), initial=0))
                   for aid, items in changes.items()}
        for (aid, day), row in self.acct.items():
            items = changes.get(aid, [])
            cut = bisect.bisect_left(items, (day_end(day), -2))
            row["followers"] = base.get(aid, 0) + (running[aid][cut] if items else 0)
        for aid, items in posts.items():
            events = changes.get(aid, [])
            running, k = base.get(aid, 0), 0
            for at, sid in items:
                while k < len(events) and events[k][0] <= at:
                    running += events[k][1]
                    k += 1
                self.post[(sid, at.date())]["reach"] += running
                self.acct[(aid, at.date())]["reach"] += running

    async def write(self) -> RollupResult:
        s = self.session
        await s.execute(delete(PostDaily).where(PostDaily.day >= self.first, PostDaily.day <= self.last))
        await s.execute(delete(AccountDaily).where(AccountDaily.day >= self.first, AccountDaily.day <= self.last))
        post_rows = [
            {"status_id": sid, "day": day, "account_id": self.author[sid], **m}
            for (sid, day), m in self.post.items()
            if any(m.values())
        ]
        acct_rows = [
            {"account_id": aid, "day": day, **m}
            for (aid, day), m in self.acct.items()
            if any(m[k] for k in ACCOUNT_METRICS)
        ]
        for table, rows in ((PostDaily.__table__, post_rows), (AccountDaily.__table__, acct_rows)):
            for i in range(0, len(rows), INSERT_CHUNK):  # Core executemany: no ORM bookkeeping
                await s.execute(insert(table), rows[i : i + INSERT_CHUNK])
        await s.flush()
        return RollupResult((self.last - self.first).days + 1, len(acct_rows), len(post_rows))


async def rollup_run(session: AsyncSession, first: date, last: date) -> RollupResult:
    """Recompute every rollup row of the days `first`..`last` (inclusive) in the caller's
    transaction. On PostgreSQL an advisory lock keeps two runners from rolling at once."""
    run = _Run(session, first, last)
    if run.dialect == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    posts = await run.posts()
    await run.engagement()
    await run.mentions()
    changes = await run.follow_changes()
    accounts = sorted({aid for aid, _ in run.acct} | set(posts))
    base = await run.followers_before(accounts)
    run.followers_and_reach(base, changes, posts)
    return await run.write()
