"""Issue 6, figure 4: home-timeline requests per second per process and p50/p99 latency at 1,000
follows including 10 very large accounts (above feed_fanout_threshold), PostgreSQL + Redis feed
backend against the SQL backend, on the same bulk-loaded database, one `chaupal serve` process.

    .venv/bin/python benchmarks/bench_home_redis.py [--sizes 100000,1000000] [--repeat 3]
    .venv/bin/python benchmarks/bench_home_redis.py --backends redis --baseline /path/to/old/checkout
        # Redis backend only, this code and an older checkout served in turn on the same data

Writes benchmarks/results/home-redis.json. Scratch PostgreSQL database and Redis prefix removed."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg2
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bulkload
from bench_core import PG_ADMIN_URL, RESULTS, Server, drive, machine, make_users, pg_admin

from chaupal import migrations
from chaupal.config import Settings

console = Console()
REDIS_URL = os.environ.get("CHAUPAL_BENCH_REDIS", "redis://127.0.0.1:6379/0")
BIG = 5_000_000


def measure(
    env: dict[str, str], token: str, args: argparse.Namespace, code: str | None = None
) -> dict[str, Any]:
    home = [("GET", "/api/v1/timelines/home", {"Authorization": f"Bearer {token}"}, None)]
    runs: list[dict[str, Any]] = []
    with Server(env, 1, code) as server:
        r = httpx.get(f"{server.url}/api/v1/timelines/home", headers=home[0][2], timeout=120)
        assert r.status_code == 200 and len(r.json()) == 20, r.text[:200]
        asyncio.run(drive(server.url, home * 100, 4))  # warm-up (builds the Redis feed)
        for _ in range(args.repeat):
            load = os.getloadavg()[0]
            c1 = asyncio.run(drive(server.url, home * args.requests_c1, 1))
            c16 = asyncio.run(drive(server.url, home * args.requests, 16))
            runs.append({"c1": c1, "c16": c16, "load": load})
    med = statistics.median
    return {
        "c1_per_s": med(r["c1"]["per_second"] for r in runs),
        "c1_p50_ms": med(r["c1"]["p50_ms"] for r in runs),
        "c1_p99_ms": med(r["c1"]["p99_ms"] for r in runs),
        "c16_per_s": med(r["c16"]["per_second"] for r in runs),
        "c16_p50_ms": med(r["c16"]["p50_ms"] for r in runs),
        "c16_p99_ms": med(r["c16"]["p99_ms"] for r in runs),
        "load": med(r["load"] for r in runs),
        "runs": runs,
    }


def one_size(posts: int, args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="chaupal-bench-home-"))
    dbname = f"chaupal_bench_home_{uuid.uuid4().hex[:10]}"
    prefix = f"chaupal-bench-home-{uuid.uuid4().hex[:10]}:"
    pg_admin(f'CREATE DATABASE "{dbname}"')
    sync = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{dbname}"
    url = sync.replace("postgresql://", "postgresql+asyncpg://")
    settings = Settings(data_dir=tmp, database_url=url)
    try:
        asyncio.run(migrations.upgrade(settings))
        ((viewer, token),) = asyncio.run(make_users(settings, 1))
        t0 = time.perf_counter()
        bulkload.load_timeline_data(
            sync, posts=posts, accounts=args.accounts, follows=args.follows, viewer_id=viewer
        )
        with psycopg2.connect(sync) as conn, conn.cursor() as cur:
            cur.execute(
                "UPDATE accounts SET followers_count = %s WHERE id IN (SELECT target_account_id "
                "FROM follows WHERE account_id = %s ORDER BY target_account_id LIMIT 10)",
                (BIG, viewer),
            )
            cur.execute("UPDATE users SET last_sign_in_at = now()")
        load_s = time.perf_counter() - t0
        console.print(f"{posts:,} posts loaded in {load_s:.0f} s")
        base = {
            **os.environ,
            "CHAUPAL_DATA_DIR": str(tmp),
            "CHAUPAL_DATABASE_URL": url,
            "CHAUPAL_RATE_LIMIT_ENABLED": "false",
            "CHAUPAL_SECRET_KEY": "bench",
        }
        out: dict[str, Any] = {"posts": posts, "bulk_load_seconds": load_s}
        redis_env = base | {
            "CHAUPAL_REDIS_URL": REDIS_URL,
            "CHAUPAL_REDIS_PREFIX": prefix,
            "CHAUPAL_FEED_BACKEND": "redis",
        }
        if "sql" in args.backends:
            out["sql"] = measure(
                base | {"CHAUPAL_REDIS_URL": "", "CHAUPAL_FEED_BACKEND": "sql"}, token, args
            )
        if "redis" in args.backends:
            out["redis"] = measure(redis_env, token, args)
        if args.baseline:  # the same data and Redis feed, served by the older checkout
            out["redis_baseline"] = measure(redis_env, token, args, args.baseline)
        return out
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        import redis

        r = redis.Redis.from_url(REDIS_URL)
        keys = list(r.scan_iter(f"{prefix}*"))
        if keys:
            r.delete(*keys)
        os.system(f"rm -rf {tmp}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sizes", default="100000,1000000", type=lambda v: [int(x) for x in v.split(",")]
    )
    p.add_argument("--accounts", type=int, default=10_000)
    p.add_argument("--follows", type=int, default=1_000)
    p.add_argument("--requests", type=int, default=1000, help="home requests per run at c=16")
    p.add_argument("--requests-c1", type=int, default=300, help="home requests per run at c=1")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument(
        "--backends", default="sql,redis", type=lambda v: v.split(","), help="sql,redis or one"
    )
    p.add_argument("--baseline", default=None, help="also serve this checkout (Redis backend)")
    args = p.parse_args()
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join(["benchmarks/bench_home_redis.py", *sys.argv[1:]]),
        "follows": args.follows,
        "big_accounts": 10,
        "sizes": [],
    }
    for n in args.sizes:
        result["sizes"].append(one_size(n, args))
        for b in ("redis", "redis_baseline"):
            if b in result["sizes"][-1]:
                console.print(b, {k: v for k, v in result["sizes"][-1][b].items() if k != "runs"})
    result["machine"]["load_after"] = os.getloadavg()[0]
    table = Table(
        title=f"Home timeline, 1 process, {args.follows} follows incl. 10 above the threshold (median of {args.repeat})"
    )
    for col in (
        "posts",
        "backend",
        "req/s c=1",
        "p50 / p99 ms c=1",
        "req/s c=16",
        "p50 / p99 ms c=16",
        "load",
    ):
        table.add_column(col, justify="right")
    for s in result["sizes"]:
        for b in ("sql", "redis", "redis_baseline"):
            if b not in s:
                continue
            m = s[b]
            table.add_row(
                f"{s['posts']:,}",
                b,
                f"{m['c1_per_s']:.0f}",
                f"{m['c1_p50_ms']:.1f} / {m['c1_p99_ms']:.1f}",
                f"{m['c16_per_s']:.0f}",
                f"{m['c16_p50_ms']:.0f} / {m['c16_p99_ms']:.0f}",
                f"{m['load']:.1f}",
            )
    console.print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "home-redis.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
