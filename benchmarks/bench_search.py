"""Issue 6, figure 7: status search latency p50/p99 through GET /api/v2/search?type=statuses on a
real `chaupal serve` over N bulk-loaded posts (PostgreSQL GIN full-text index / SQLite FTS5), and
the time until a new post is searchable (POST, then poll the search every 10 ms).

Posts: 8 words from a 25-word common vocabulary plus 2 from a Zipf-like vocabulary of 200,000
words. Queries, in turn: one common word (a third of all posts match), one mid-frequency word,
one rare word, and a common word AND a mid-frequency word; newest 20 first.

    .venv/bin/python benchmarks/bench_search.py --backend postgres --sizes 100000,1000000
    .venv/bin/python benchmarks/bench_search.py --backend sqlite --sizes 100000,300000

Writes benchmarks/results/search-<backend>.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bulkload
from bench_core import PG_ADMIN_URL, RESULTS, Server, drive, machine, make_users, pg_admin

from chaupal import migrations
from chaupal.config import Settings
from chaupal.lib.ids import new_id

console = Console()
VOCAB = 200_000


def rare_word(rng: random.Random) -> str:
    return f"w{min(VOCAB, int(rng.paretovariate(0.8)))}x"


def rows(rng: random.Random, n: int, authors: list[int], now: datetime, sqlite: bool) -> Any:
    span = 182 * 86400
    for offset in sorted((rng.random() * span for _ in range(n)), reverse=True):
        at = now - timedelta(seconds=offset)
        text = " ".join([*rng.choices(bulkload.WORDS, k=8), rare_word(rng), rare_word(rng)])
        yield (
            new_id(at),
            rng.choice(authors),
            text,
            f"<p>{text}</p>",
            "",
            False,
            "public",
            "en",
            True,
            0,
            0,
            0,
            bulkload._ts(at, sqlite),
        )


def load(sync: str, n: int, done: int, authors: list[int], rng: random.Random) -> None:
    conn, sqlite = bulkload.connect(sync)
    now = datetime.now(UTC)
    try:
        if not sqlite:
            with conn.cursor() as cur:
                cur.execute("DROP INDEX IF EXISTS ix_statuses_fts")
            conn.commit()
        bulkload.insert(
            conn,
            sqlite,
            "statuses",
            bulkload.STATUS_COLS,
            rows(rng, n - done, authors, now, sqlite),
        )
        if sqlite:
            conn.execute("COMMIT")
            conn.execute("ANALYZE")
        else:
            conn.commit()
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SET maintenance_work_mem = '512MB'")
                cur.execute(
                    "CREATE INDEX ix_statuses_fts ON statuses USING gin (to_tsvector('simple', text))"
                )
                cur.execute("VACUUM ANALYZE statuses")
    finally:
        conn.close()


def queries(rng: random.Random, n: int) -> list[tuple[str, str]]:
    kinds = [
        ("common word", lambda: rng.choice(bulkload.WORDS[:19])),
        ("mid word", lambda: f"w{rng.randint(20, 60)}x"),
        ("rare word", lambda: f"w{rng.randint(2000, 20000)}x"),
        ("common AND mid", lambda: f"{rng.choice(bulkload.WORDS[:19])} w{rng.randint(5, 30)}x"),
    ]
    return [(kinds[i % 4][0], kinds[i % 4][1]()) for i in range(n)]


async def timed(url: str, token: str, qs: list[tuple[str, str]]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    async with httpx.AsyncClient(
        base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}
    ) as c:
        for kind, q in qs:
            t0 = time.perf_counter()
            r = await c.get("/api/v2/search", params={"q": q, "type": "statuses", "limit": 20})
            out.setdefault(kind, []).append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text
    return out


async def searchable(url: str, token: str, k: int) -> tuple[float, float]:
    async with httpx.AsyncClient(
        base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}
    ) as c:
        word = f"fresh{uuid.uuid4().hex[:8]}z{k}"
        t0 = time.perf_counter()
        r = await c.post("/api/v1/statuses", json={"status": f"breaking {word}"})
        posted = time.perf_counter() - t0
        assert r.status_code == 200
        while True:
            s = await c.get("/api/v2/search", params={"q": word, "type": "statuses"})
            if s.json()["statuses"]:
                return time.perf_counter() - t0, posted
            await asyncio.sleep(0.01)


def pct(v: list[float], q: int) -> float:
    return statistics.quantiles(v, n=100, method="inclusive")[q - 1] * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    p.add_argument(
        "--sizes", default="100000,1000000", type=lambda v: [int(x) for x in v.split(",")]
    )
    p.add_argument("--queries", type=int, default=400, help="queries per run (c=1)")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="chaupal-bench-search-"))
    dbname = None
    if args.backend == "postgres":
        dbname = f"chaupal_bench_search_{uuid.uuid4().hex[:10]}"
        pg_admin(f'CREATE DATABASE "{dbname}"')
        sync = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{dbname}"
        url = sync.replace("postgresql://", "postgresql+asyncpg://")
    else:
        sync = f"sqlite:///{tmp}/search.sqlite3"
        url = f"sqlite+aiosqlite:///{tmp}/search.sqlite3"
    env = {
        **os.environ,
        "CHAUPAL_DATA_DIR": str(tmp),
        "CHAUPAL_DATABASE_URL": url,
        "CHAUPAL_REDIS_URL": "",
        "CHAUPAL_RATE_LIMIT_ENABLED": "false",
        "CHAUPAL_SECRET_KEY": "bench",
    }
    result: dict[str, Any] = {
        "backend": args.backend,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join(["benchmarks/bench_search.py", *sys.argv[1:]]),
        "sizes": [],
    }
    rng = random.Random(7)
    try:
        settings = Settings(data_dir=tmp, database_url=url)
        asyncio.run(migrations.upgrade(settings))
        ((_, token),) = asyncio.run(make_users(settings, 1))
        conn, sqlite = bulkload.connect(sync)
        acc = bulkload.account_rows(2000, datetime.now(UTC), sqlite, prefix="searcher")
        bulkload.insert(conn, sqlite, "accounts", bulkload.ACCOUNT_COLS, acc)
        conn.execute("COMMIT") if sqlite else conn.commit()
        conn.close()
        done = 0
        for n in args.sizes:
            t0 = time.perf_counter()
            load(sync, n, done, [r[0] for r in acc], rng)
            load_s = time.perf_counter() - t0
            done = n
            console.print(f"{n:,} posts loaded and indexed in {load_s:.0f} s")
            runs, fresh = [], []
            with Server(env, 1) as server:
                asyncio.run(timed(server.url, token, queries(rng, 40)))  # warm-up
                for _ in range(args.repeat):
                    load_avg = os.getloadavg()[0]
                    lat = asyncio.run(timed(server.url, token, queries(rng, args.queries)))
                    every = [x for v in lat.values() for x in v]
                    runs.append(
                        {
                            "load": load_avg,
                            **{
                                k: {"p50_ms": pct(v, 50), "p99_ms": pct(v, 99)}
                                for k, v in lat.items()
                            },
                            "all": {"p50_ms": pct(every, 50), "p99_ms": pct(every, 99)},
                        }
                    )
                    fresh.append(asyncio.run(searchable(server.url, token, len(fresh))))
                c8 = asyncio.run(
                    drive(
                        server.url,
                        [
                            (
                                "GET",
                                f"/api/v2/search?q={q}&type=statuses&limit=20",
                                {"Authorization": f"Bearer {token}"},
                                None,
                            )
                            for _, q in queries(rng, args.queries)
                        ],
                        8,
                    )
                )
            med = statistics.median
            row = {
                "posts": n,
                "load_seconds": load_s,
                "runs": runs,
                "per_kind": {
                    k: {m: med(r[k][m] for r in runs) for m in ("p50_ms", "p99_ms")}
                    for k in runs[0]
                    if k != "load"
                },
                "searchable_ms": med(f[0] for f in fresh) * 1000,
                "post_round_trip_ms": med(f[1] for f in fresh) * 1000,
                "c8_per_s": c8["per_second"],
                "load": med(r["load"] for r in runs),
            }
            console.print(row["per_kind"], f"searchable after {row['searchable_ms']:.0f} ms")
            result["sizes"].append(row)
    finally:
        if dbname:
            pg_admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        os.system(f"rm -rf {tmp}")
    result["machine"]["load_after"] = os.getloadavg()[0]
    t = Table(title=f"Status search, {args.backend}, 1 process, c=1 (median of {args.repeat} runs)")
    for col in ("posts", "query", "p50 ms", "p99 ms"):
        t.add_column(col, justify="right")
    for s in result["sizes"]:
        for k, v in s["per_kind"].items():
            t.add_row(f"{s['posts']:,}", k, f"{v['p50_ms']:.1f}", f"{v['p99_ms']:.1f}")
        t.add_row(
            f"{s['posts']:,}",
            "searchable after POST",
            f"{s['searchable_ms']:.0f}",
            f"(POST {s['post_round_trip_ms']:.0f})",
        )
    console.print(t)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"search-{args.backend}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
