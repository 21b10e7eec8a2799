"""Issue 6, figure 6: memory per follow edge and per feed entry, in PostgreSQL and in Redis.

PostgreSQL (scratch database, dropped afterwards): follows and statuses bulk-loaded with COPY at
two sizes, then pg_total_relation_size (heap + TOAST + every index) / rows, after VACUUM ANALYZE.
Redis (unique key prefix, deleted afterwards): home feeds written as Chaupal writes them (sorted
set, member = status id as text, score = id, sentinel '!', plus the follow-set version key),
at two feed lengths; INFO used_memory delta and MEMORY USAGE of sampled keys / entries.

    .venv/bin/python benchmarks/bench_memory.py [--follows 100000,1000000] [--statuses 100000,300000]

Writes benchmarks/results/memory.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import redis
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bulkload
from bench_core import PG_ADMIN_URL, RESULTS, machine, pg_admin

from chaupal import migrations
from chaupal.config import Settings
from chaupal.lib.ids import new_id

console = Console()
REDIS_URL = os.environ.get("CHAUPAL_BENCH_REDIS", "redis://127.0.0.1:6379/0")


def relation_sizes(cur: Any, table: str) -> dict[str, Any]:
    cur.execute(f'VACUUM ANALYZE "{table}"')
    cur.execute(
        f'SELECT count(*), pg_relation_size(%s), pg_total_relation_size(%s), pg_indexes_size(%s) FROM "{table}"',
        (table, table, table),
    )
    rows, heap, total, indexes = cur.fetchone()
    cur.execute(
        "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index WHERE indrelid = %s::regclass",
        (table,),
    )
    return {
        "rows": rows,
        "heap_bytes": heap,
        "total_bytes": total,
        "index_bytes": indexes,
        "bytes_per_row": total / rows,
        "heap_per_row": heap / rows,
        "indexes": {name: size / rows for name, size in cur.fetchall()},
    }


def postgres(args: argparse.Namespace) -> dict[str, Any]:
    dbname = f"chaupal_bench_mem_{uuid.uuid4().hex[:10]}"
    pg_admin(f'CREATE DATABASE "{dbname}"')
    sync = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{dbname}"
    tmp = Path(tempfile.mkdtemp(prefix="chaupal-bench-mem-"))
    out: dict[str, Any] = {"follows": [], "statuses": []}
    try:
        asyncio.run(
            migrations.upgrade(
                Settings(
                    data_dir=tmp,
                    database_url=sync.replace("postgresql://", "postgresql+asyncpg://"),
                )
            )
        )
        conn = psycopg2.connect(sync)
        conn.autocommit = True
        now = datetime.now(UTC)
        rng = random.Random(1)
        accounts = [  # distinct creation times: IDs minted at one instant can collide
            (new_id(now - timedelta(days=365, seconds=i)), *r[1:])
            for i, r in enumerate(bulkload.account_rows(max(args.follows) // 10, now, False))
        ]
        bulkload.insert(conn, False, "accounts", bulkload.ACCOUNT_COLS, accounts)
        ids = [r[0] for r in accounts]
        done = 0
        for n in args.follows:  # each account follows 10 others (heavy-tailed targets)
            rows = []
            for i in range(done // 10, n // 10):
                targets: set[int] = set()
                while len(targets) < 10:
                    t = ids[min(len(ids) - 1, int(rng.paretovariate(0.6)) - 1 + rng.randrange(3))]
                    if t != ids[i]:
                        targets.add(t)
                rows.extend((new_id(), ids[i], t, now.isoformat(), True, False) for t in targets)
            done += bulkload.insert(conn, False, "follows", bulkload.FOLLOW_COLS, rows)
            with conn.cursor() as cur:
                out["follows"].append(relation_sizes(cur, "follows"))
        done = 0
        for n in args.statuses:
            done += bulkload.insert(
                conn,
                False,
                "statuses",
                bulkload.STATUS_COLS,
                bulkload.status_rows(rng, n - done, ids[:10_000], now, 182, False),
            )
            with conn.cursor() as cur:
                out["statuses"].append(relation_sizes(cur, "statuses"))
        conn.close()
        return out
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        os.system(f"rm -rf {tmp}")


def redis_feeds(args: argparse.Namespace) -> list[dict[str, Any]]:
    r = redis.Redis.from_url(REDIS_URL)
    out = []
    for length in args.feed_lengths:
        prefix = f"chaupal-bench-mem-{uuid.uuid4().hex[:10]}:"
        try:
            before = r.info("memory")["used_memory"]
            base = new_id() - 10**15
            for f in range(0, args.feeds, 500):
                pipe = r.pipeline(transaction=False)
                for a in range(f, min(args.feeds, f + 500)):
                    entries = sorted(random.sample(range(base, base + 10**15), length))
                    pipe.zadd(
                        f"{prefix}feed:{a}",
                        {"!": float(entries[0]), **{str(i): float(i) for i in entries}},
                    )
                    pipe.set(f"{prefix}feedv:{a}", "3f2a9c1d")
                pipe.execute()
            used = r.info("memory")["used_memory"] - before
            sample = [
                r.memory_usage(f"{prefix}feed:{a}", samples=0)
                for a in range(0, args.feeds, max(1, args.feeds // 50))
            ]
            meta = r.memory_usage(f"{prefix}feedv:0", samples=0)
            enc = r.object("encoding", f"{prefix}feed:0").decode()
            out.append(
                {
                    "feeds": args.feeds,
                    "entries_per_feed": length,
                    "encoding": enc,
                    "used_memory_delta": used,
                    "bytes_per_entry_info": used / (args.feeds * length),
                    "memory_usage_per_feed": sum(sample) / len(sample),
                    "bytes_per_entry_memory_usage": sum(sample) / len(sample) / (length + 1),
                    "version_key_bytes": meta,
                }
            )
        finally:
            keys = list(r.scan_iter(f"{prefix}*", count=10_000))
            for i in range(0, len(keys), 10_000):
                r.delete(*keys[i : i + 10_000])
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ints = lambda v: [int(x) for x in v.split(",")]
    p.add_argument("--follows", default="100000,1000000", type=ints)
    p.add_argument("--statuses", default="100000,300000", type=ints)
    p.add_argument("--feeds", type=int, default=5000)
    p.add_argument("--feed-lengths", default="100,800", type=ints)
    args = p.parse_args()
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join(["benchmarks/bench_memory.py", *sys.argv[1:]]),
    }
    r = redis.Redis.from_url(REDIS_URL)
    result["versions"] = {
        "redis": r.info("server")["redis_version"],
        "zset_max_listpack_entries": r.config_get("zset-max-*-entries"),
    }
    result["redis"] = redis_feeds(args)
    result["postgres"] = postgres(args)
    result["machine"]["load_after"] = os.getloadavg()[0]
    t = Table(title="Memory per item")
    for col in ("store", "item", "count", "bytes per item (total)", "of which heap / indexes"):
        t.add_column(col, justify="right")
    for x in result["redis"]:
        t.add_row(
            "Redis",
            f"feed entry ({x['entries_per_feed']}/feed, {x['encoding']})",
            f"{x['feeds'] * x['entries_per_feed']:,}",
            f"{x['bytes_per_entry_info']:.0f} (INFO) / {x['bytes_per_entry_memory_usage']:.0f} (MEMORY USAGE)",
            f"+{x['version_key_bytes']} B version key per feed",
        )
    for kind in ("follows", "statuses"):
        for x in result["postgres"][kind]:
            t.add_row(
                "PostgreSQL",
                kind,
                f"{x['rows']:,}",
                f"{x['bytes_per_row']:.0f}",
                f"{x['heap_per_row']:.0f} / {x['index_bytes'] / x['rows']:.0f}",
            )
    console.print(t)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "memory.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
