"""A generated dataset of raw rows over a few days (posts, replies, reposts, favourites,
mentions, follows, unfollows, opens) and the oracle: the numbers counted directly from them."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.lib.ids import new_id
from chaupal.models import (
    Account,
    AccountEvent,
    Favourite,
    Follow,
    Mention,
    Status,
    StatusOpen,
)

METRICS = ("posts", "replies", "reposts", "favourites", "mentions", "new_followers", "unfollows",
           "reach", "opens")


@dataclass
class Dataset:
    accounts: list[int]
    first: date
    last: date
    statuses: list[int] = field(default_factory=list)


def _at(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC) + timedelta(seconds=rng.randrange(1, 86_399))


async def generate(session: AsyncSession, *, seed: int = 7, n_accounts: int = 8, days: int = 6,
                   last: date | None = None) -> Dataset:
    """Raw rows written straight through the models (IDs from their own times, as backdated rows
    get), ending on `last` (default: yesterday). Includes self-interactions and direct posts,
    which the rollups must leave out."""
    rng = random.Random(seed)
    last = last or (datetime.now(UTC).date() - timedelta(days=1))
    first = last - timedelta(days=days - 1)
    before = datetime.combine(first, time(), tzinfo=UTC) - timedelta(days=3)
    accounts = []
    for n in range(n_accounts):
        a = Account(username=f"an{seed}_{n}", username_lower=f"an{seed}_{n}", display_name=f"A{n}")
        session.add(a)
        await session.flush()
        accounts.append(a.id)
    ds = Dataset(accounts, first, last)
    follows: set[tuple[int, int]] = set()

    def follow(a: int, b: int, at: datetime) -> None:
        if a != b and (a, b) not in follows:
            follows.add((a, b))
            session.add(Follow(id=new_id(at), account_id=a, target_account_id=b, created_at=at))

    for _ in range(n_accounts * 2):  # followers before the period
        follow(rng.choice(accounts), rng.choice(accounts), before + timedelta(minutes=rng.randrange(600)))
    by_author: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for day in [first + timedelta(days=k) for k in range(days)]:
        for _ in range(rng.randrange(3, 9)):  # posts, some replies, some direct, some mentions
            author, at = rng.choice(accounts), _at(rng, day)
            parents = [(s, t) for acc in accounts for s, t in by_author[acc] if t < at]
            parent = rng.choice(parents) if parents and rng.random() < 0.4 else None
            parent_author = None
            if parent is not None:
                parent_author = await session.scalar(select(Status.account_id).where(Status.id == parent[0]))
            visibility = rng.choice(["public", "public", "unlisted", "private", "direct"])
            st = Status(id=new_id(at), account_id=author, text="t", visibility=visibility, created_at=at,
                        in_reply_to_id=parent[0] if parent else None, in_reply_to_account_id=parent_author)
            session.add(st)
            await session.flush()
            ds.statuses.append(st.id)
            if visibility != "direct":
                by_author[author].append((st.id, at))
            for target in rng.sample(accounts, rng.randrange(0, 3)):
                session.add(Mention(id=new_id(at), status_id=st.id, account_id=target))
        for _ in range(rng.randrange(2, 10)):  # favourites and reposts of earlier posts
            pool = [(s, t) for acc in accounts for s, t in by_author[acc] if t.date() <= day]
            if not pool:
                break
            sid, t = rng.choice(pool)
            who, at = rng.choice(accounts), max(_at(rng, day), t + timedelta(seconds=1))
            if rng.random() < 0.5:
                exists = await session.scalar(select(Favourite.id).where(Favourite.account_id == who, Favourite.status_id == sid))
                if exists is None:
                    session.add(Favourite(id=new_id(at), account_id=who, status_id=sid, created_at=at))
            else:
                exists = await session.scalar(select(Status.id).where(Status.account_id == who, Status.reblog_of_id == sid))
                if exists is None:
                    session.add(Status(id=new_id(at), account_id=who, reblog_of_id=sid, created_at=at))
            await session.flush()
        for _ in range(rng.randrange(1, 5)):  # follows, and unfollows (the logged deletions)
            follow(rng.choice(accounts), rng.choice(accounts), _at(rng, day))
        await session.flush()
        for _ in range(rng.randrange(0, 3)):
            if not follows:
                break
            a, b = rng.choice(sorted(follows))
            row = await session.scalar(select(Follow).where(Follow.account_id == a, Follow.target_account_id == b))
            if row is None or row.created_at.date() > day:
                continue
            at = max(_at(rng, day), row.created_at + timedelta(seconds=1))
            session.add(AccountEvent(account_id=b, actor_id=a, kind="unfollow", at=at, followed_at=row.created_at))
            await session.delete(row)
            follows.discard((a, b))
            await session.flush()
        for sid, t in [x for acc in accounts for x in by_author[acc] if x[1].date() <= day][:6]:
            author = await session.scalar(select(Status.account_id).where(Status.id == sid))
            session.add(StatusOpen(status_id=sid, day=day, account_id=author, opens=rng.randrange(1, 20)))
    await session.flush()
    return ds


def _day(at: datetime) -> date:
    return at.astimezone(UTC).date()


async def oracle(session: AsyncSession) -> tuple[dict[tuple[int, date], dict[str, int]],
                                                 dict[tuple[int, date], dict[str, int]]]:
    """Account and post numbers per day, counted directly over every raw row (no SQL grouping):
    the definitions in docs/architecture.md, written the plain way."""
    statuses = {s.id: s for s in (await session.scalars(select(Status))).all()}
    favs = (await session.scalars(select(Favourite))).all()
    follows = (await session.scalars(select(Follow))).all()
    events = (await session.scalars(select(AccountEvent))).all()
    mentions = (await session.scalars(select(Mention))).all()
    opens = (await session.scalars(select(StatusOpen))).all()
    acct: dict[tuple[int, date], dict[str, int]] = defaultdict(lambda: dict.fromkeys(METRICS, 0))
    post: dict[tuple[int, date], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("replies", "reposts", "favourites", "opens", "reach"), 0))

    def shown(s: Any) -> bool:
        return s is not None and s.visibility != "direct"

    def followers_at(account: int, t: datetime) -> int:
        standing = sum(1 for f in follows if f.target_account_id == account and f.created_at <= t)
        ended = sum(1 for e in events if e.account_id == account and e.followed_at <= t < e.at)
        return standing + ended

    def hit(p: Any, at: datetime, metric: str, n: int = 1) -> None:
        post[(p.id, _day(at))][metric] += n
        acct[(p.account_id, _day(at))][metric] += n

    for s in statuses.values():
        if s.reblog_of_id is None and shown(s):
            reach = followers_at(s.account_id, s.created_at)
            acct[(s.account_id, _day(s.created_at))]["posts"] += 1
            hit(s, s.created_at, "reach", reach)
        parent = statuses.get(s.in_reply_to_id) if s.in_reply_to_id else None
        if s.reblog_of_id is None and shown(s) and shown(parent) and parent.account_id != s.account_id:
            hit(parent, s.created_at, "replies")
        original = statuses.get(s.reblog_of_id) if s.reblog_of_id else None
        if shown(original) and original.account_id != s.account_id:
            hit(original, s.created_at, "reposts")
    for f in favs:
        p = statuses[f.status_id]
        if shown(p) and p.account_id != f.account_id:
            hit(p, f.created_at, "favourites")
    for o in opens:
        p = statuses[o.status_id]
        if shown(p):
            post[(p.id, o.day)]["opens"] += o.opens
            acct[(p.account_id, o.day)]["opens"] += o.opens
    for m in mentions:
        s = statuses[m.status_id]
        if shown(s) and s.reblog_of_id is None and m.account_id != s.account_id:
            acct[(m.account_id, _day(s.created_at))]["mentions"] += 1
    for f in follows:
        acct[(f.target_account_id, _day(f.created_at))]["new_followers"] += 1
    for e in events:
        acct[(e.account_id, _day(e.followed_at))]["new_followers"] += 1
        acct[(e.account_id, _day(e.at))]["unfollows"] += 1
    out_acct = {}
    for (aid, day), m in acct.items():
        if any(m.values()):
            end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC) - timedelta(microseconds=1)
            out_acct[(aid, day)] = {**m, "followers": followers_at(aid, end)}
    return out_acct, {k: v for k, v in post.items() if any(v.values())}
