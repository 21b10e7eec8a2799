"""Fan-out for the Redis home feeds (issue 6, figures 2 and 3), on a scratch database and the
local Redis under a unique key prefix (both removed afterwards):

1. deliveries/s of the "fanout" job's `deliver()` for an author with N active followers, each
   with a feed (the follower walk in SQL batches + one pipelined Redis round trip per batch),
   per second of wall time and per second of the worker process's CPU; and the Redis part alone
   (the same pipelined script calls without the SQL walk);
2. an account above `feed_fanout_threshold` (followers_count set to 5,000,000): the write cost
   of a post (transaction + its fanout job, which only touches the author's own feed) and the
   time from commit until a follower's home timeline (Redis backend) returns it.

    .venv/bin/python benchmarks/bench_fanout.py [--backend postgres|sqlite] [--followers 10000,50000] [--repeat 5] [--batch 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, text, update

from benchmarks.bench_core import PG_ADMIN_URL, machine, pg_admin
from chaupal import migrations
from chaupal.actions.statuses import check_create_status
from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker, utcnow
from chaupal.feeds.fanout import deliver
from chaupal.feeds.redis_feed import redis_home_timeline
from chaupal.feeds.redis_store import ADD_SCRIPT, SENTINEL, feed_key
from chaupal.jobs import JobRunner
from chaupal.lib.ids import new_id
from chaupal.lib.paging import Page
from chaupal.models import Account, Follow, Status, User

console = Console()
REDIS_URL = os.environ.get("CHAUPAL_BENCH_REDIS", "redis://127.0.0.1:6379/0")
BIG = 5_000_000


async def seed(sessions: Any, n: int) -> tuple[int, list[int]]:
    """An author, `n` followers who signed in today, and their follows."""
    now = utcnow()
    author = new_id()
    followers = [new_id() for _ in range(n)]
    async with sessions() as s:
        await s.execute(insert(Account), [{"id": author, "username": f"author{n}", "username_lower": f"author{n}", "followers_count": n}])
        for i in range(0, n, 5000):
            chunk = followers[i : i + 5000]
            await s.execute(insert(Account), [{"id": a, "username": f"f{a}", "username_lower": f"f{a}"} for a in chunk])
            await s.execute(
                insert(User),
                [{"account_id": a, "email": f"{a}@bench.invalid", "password_hash": "-", "last_sign_in_at": now} for a in chunk],
            )
            await s.execute(insert(Follow), [{"account_id": a, "target_account_id": author} for a in chunk])
        await s.commit()
    async with sessions() as s:  # planner statistics, as a live database has them
        await s.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        await s.execute(text("ANALYZE"))
    return author, followers


async def make_feeds(redis: Any, settings: Settings, ids: list[int]) -> None:
    for i in range(0, len(ids), 5000):
        async with redis.pipeline(transaction=False) as pipe:
            for a in ids[i : i + 5000]:
                pipe.zadd(feed_key(settings, a), {SENTINEL: 0})
            await pipe.execute()


async def new_status(sessions: Any, author: int) -> int:
    sid = new_id()
    async with sessions() as s:
        await s.execute(insert(Status), [{"id": sid, "account_id": author, "text": "x", "content": "<p>x</p>", "local": True}])
        await s.commit()
    return sid


async def measure_fanout(settings: Settings, sessions: Any, redis: Any, n: int, repeat: int) -> dict[str, Any]:
    author, followers = await seed(sessions, n)
    await make_feeds(redis, settings, [author, *followers])
    full_wall, full_cpu, redis_wall, redis_cpu = [], [], [], []
    add = redis.register_script(ADD_SCRIPT)
    for _ in range(repeat):
        sid = await new_status(sessions, author)
        async with sessions() as s:
            w, c = time.perf_counter(), time.process_time()
            handled = await deliver(s, settings, redis, sid, author)
            full_wall.append(time.perf_counter() - w)
            full_cpu.append(time.process_time() - c)
        assert handled == n, (handled, n)
        sid = new_id()
        w, c = time.perf_counter(), time.process_time()
        batch = settings.feed_fanout_batch
        for i in range(0, n, batch):
            keys = [feed_key(settings, a) for a in followers[i : i + batch]]
            await add(keys=keys, args=[sid, settings.feed_max_entries])
        redis_wall.append(time.perf_counter() - w)
        redis_cpu.append(time.process_time() - c)
    assert await redis.zscore(feed_key(settings, followers[-1]), str(sid)) is not None
    med = statistics.median
    return {
        "followers": n,
        "deliver_seconds": med(full_wall),
        "deliver_per_s": n / med(full_wall),
        "deliver_per_cpu_s": n / med(full_cpu),
        "redis_only_per_s": n / med(redis_wall),
        "redis_only_per_cpu_s": n / med(redis_cpu),
        "author": author,
        "a_follower": followers[0],
    }


async def measure_big(settings: Settings, sessions: Any, redis: Any, author: int, follower: int, repeat: int) -> dict[str, Any]:
    """The author now has 5,000,000 followers (above the threshold): its posts are merged."""
    async with sessions() as s:
        await s.execute(update(Account).where(Account.id == author).values(followers_count=BIG))
        await s.commit()
        viewer = await s.get(Account, follower)
        await redis_home_timeline(s, redis, settings, viewer, Page())  # the feed, rebuilt for the new big set
    runner = JobRunner(sessions, settings)
    write, job, visible = [], [], []
    for _ in range(repeat):
        async with sessions() as s:
            w = time.perf_counter()
            account = await s.get(Account, author)
            status = await check_create_status(s, settings, account, text="an announcement")
            await s.commit()
            committed = time.perf_counter()
            write.append(committed - w)
        async with sessions() as s:
            viewer = await s.get(Account, follower)
            page = await redis_home_timeline(s, redis, settings, viewer, Page(limit=20))
            visible.append(time.perf_counter() - committed)
            assert page and page[0].id == status.id
        w = time.perf_counter()
        assert await runner.run_until_idle() >= 1
        job.append(time.perf_counter() - w)
    med = statistics.median
    return {"followers": BIG, "post_seconds": med(write), "job_seconds": med(job), "visible_seconds": med(visible)}


async def run_async(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    import redis.asyncio as aioredis

    redis = aioredis.from_url(settings.redis_url or "", decode_responses=True)
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    try:
        rows, last = [], None
        for n in args.followers:
            console.print(f"seeding {n:,} followers and timing fan-out ({args.repeat} runs)")
            last = await measure_fanout(settings, sessions, redis, n, args.repeat)
            rows.append(last)
        assert last is not None
        console.print("timing a post by an account above the threshold")
        big = await measure_big(settings, sessions, redis, last["author"], last["a_follower"], args.repeat)
        return {"fanout": rows, "big": big}
    finally:
        keys = [k async for k in redis.scan_iter(f"{settings.redis_prefix}*")]
        for i in range(0, len(keys), 10_000):
            await redis.delete(*keys[i : i + 10_000])
        await redis.aclose()
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--followers", default="10000,50000", type=lambda v: [int(x) for x in v.split(",")])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1000, help="feed_fanout_batch")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="chaupal-bench-fanout-"))
    dbname = None
    if args.backend == "postgres":
        dbname = f"chaupal_bench_fanout_{uuid.uuid4().hex[:10]}"
        pg_admin(f'CREATE DATABASE "{dbname}"')
        url = f"{PG_ADMIN_URL.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+asyncpg://')}/{dbname}"
    else:
        url = f"sqlite+aiosqlite:///{tmp}/fanout.sqlite3"
    settings = Settings(
        data_dir=tmp, database_url=url, redis_url=REDIS_URL, feed_backend="redis",
        redis_prefix=f"chaupal-bench-{uuid.uuid4().hex[:10]}:", jobs_in_process=False,
        feed_fanout_batch=args.batch,
        feed_fanout_threshold=max(50_000, *args.followers),  # the sizes measured are fanned out
    )
    load_before = os.getloadavg()[0]
    try:
        asyncio.run(migrations.upgrade(settings))
        result = asyncio.run(run_async(args, settings))
    finally:
        if dbname:
            pg_admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        subprocess.run(["rm", "-rf", str(tmp)], check=False)
    m = machine()
    table = Table(title=f"Fan-out, {args.backend} + Redis (median of {args.repeat}; batch {settings.feed_fanout_batch})")
    for col in ("followers", "deliver() wall", "deliveries/s", "per worker CPU-s", "Redis part /s", "Redis part /CPU-s"):
        table.add_column(col, justify="right")
    for r in result["fanout"]:
        table.add_row(
            f"{r['followers']:,}", f"{r['deliver_seconds']:.2f} s", f"{r['deliver_per_s']:,.0f}",
            f"{r['deliver_per_cpu_s']:,.0f}", f"{r['redis_only_per_s']:,.0f}", f"{r['redis_only_per_cpu_s']:,.0f}",
        )
    console.print(table)
    b = result["big"]
    big = Table(title=f"A post by an account with {b['followers']:,} followers (above feed_fanout_threshold)")
    for col in ("post transaction", "its fanout job", "commit → in a follower's home"):
        big.add_column(col, justify="right")
    big.add_row(f"{b['post_seconds'] * 1000:.1f} ms", f"{b['job_seconds'] * 1000:.1f} ms", f"{b['visible_seconds'] * 1000:.1f} ms")
    console.print(big)
    console.print(f"{m.get('cpu', '')} · {m.get('nproc')} CPUs · load avg {load_before:.1f} → {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
