"""Rollup time for 1,000,000 events: posts, replies, reposts, favourites and follows spread over
182 days are bulk-loaded into a scratch SQLite file or a uniquely named PostgreSQL database
(dropped afterwards); then the full rollup (`demo_backfill`), the job's incremental round
(`do_rollup_pending`: today and days not yet final) and a re-roll of the last 7 days are timed.

    .venv/bin/python benchmarks/bench_rollup.py --backend sqlite
    .venv/bin/python benchmarks/bench_rollup.py --backend postgres --events 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import csv
import io
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, select

from benchmarks import bulkload
from benchmarks.bench_core import PG_ADMIN_URL, machine, pg_admin
from chaupal import migrations
from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker
from chaupal.insights.analytics.days import days_between
from chaupal.insights.analytics.job import demo_backfill, do_rollup_pending, roll_days
from chaupal.lib.ids import new_id
from chaupal.models import AccountDaily, PostDaily

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "rollup.json"
CHART = ROOT / "docs" / "img" / "rollup.svg"
DAYS = 182
STATUS_COLS = ("id", "account_id", "text", "content", "spoiler_text", "sensitive", "visibility", "language", "local",
               "replies_count", "reblogs_count", "favourites_count", "created_at", "in_reply_to_id",
               "in_reply_to_account_id", "reblog_of_id")
FAV_COLS = ("id", "account_id", "status_id", "created_at")
NULLABLE = ("language", "in_reply_to_id", "in_reply_to_account_id", "reblog_of_id")
console = Console()


def copy_nullable(conn: Any, table: str, cols: tuple[str, ...], rows: list[tuple[Any, ...]], nullable: tuple[str, ...]) -> None:
    """PostgreSQL COPY where None is NULL in `nullable` columns (bulkload.insert writes "")."""
    for i in range(0, len(rows), 50_000):
        buf = io.StringIO()
        writer = csv.writer(buf, quoting=csv.QUOTE_ALL)
        for row in rows[i : i + 50_000]:
            writer.writerow(["t" if v is True else "f" if v is False else v for v in row])
        buf.seek(0)
        with conn.cursor() as cur:
            cur.copy_expert(
                f'COPY "{table}" ({", ".join(cols)}) FROM STDIN WITH (FORMAT csv, FORCE_NULL ({", ".join(nullable)}))', buf
            )


def generate(rng: random.Random, n_events: int, accounts: list[int], now: datetime, sqlite: bool) -> dict[str, list[tuple[Any, ...]]]:
    """40% posts (a quarter of them replies), 15% reposts, 30% favourites, 15% follows."""
    span = DAYS * 86400
    n_posts, n_reposts, n_favs = int(n_events * 0.40), int(n_events * 0.15), int(n_events * 0.30)
    n_follows = n_events - n_posts - n_reposts - n_favs

    def times(n: int) -> list[datetime]:
        return [now - timedelta(seconds=s) for s in sorted((rng.random() * span for _ in range(n)), reverse=True)]

    ts = bulkload._ts
    weights = [1 / (i + 1) for i in range(len(accounts))]  # a few accounts post and are followed most
    post_at = times(n_posts)
    authors = rng.choices(accounts, weights=weights, k=n_posts)
    ids = [new_id(at) for at in post_at]
    statuses = []
    for k, (sid, at, author) in enumerate(zip(ids, post_at, authors, strict=True)):
        parent = rng.randrange(k) if k and rng.random() < 0.25 else None
        statuses.append((sid, author, "text", "<p>text</p>", "", False, "public", "en", True, 0, 0, 0, ts(at, sqlite),
                         ids[parent] if parent is not None else None, authors[parent] if parent is not None else None, None))
    epoch = [at.timestamp() for at in post_at]

    def earlier(at: datetime) -> int | None:
        k = bisect.bisect_left(epoch, at.timestamp())
        return rng.randrange(k) if k else None

    def unique(at: datetime, draw: Any, seen: set[tuple[int, int]]) -> tuple[int, int] | None:
        """A pair not used before (one reblog, favourite or follow per pair), redrawn if taken."""
        for _ in range(50):
            pair = draw(at)
            if pair is not None and pair not in seen and pair[0] != pair[1]:
                seen.add(pair)
                return pair
        return None

    def on_post(at: datetime) -> tuple[int, int] | None:
        k = earlier(at)
        return None if k is None else (rng.choice(accounts), ids[k])

    targets = iter(rng.choices(accounts, weights=weights, k=n_follows * 60))
    seen: set[tuple[int, int]] = set()
    for at in times(n_reposts):
        pair = unique(at, on_post, seen)
        if pair is not None:
            statuses.append((new_id(at), pair[0], "", "", "", False, "public", None, True, 0, 0, 0, ts(at, sqlite),
                             None, None, pair[1]))
    favs: list[tuple[Any, ...]] = []
    seen = set()
    for at in times(n_favs):
        pair = unique(at, on_post, seen)
        if pair is not None:
            favs.append((new_id(at), pair[0], pair[1], ts(at, sqlite)))
    follows: list[tuple[Any, ...]] = []
    seen = set()
    for at in times(n_follows):
        pair = unique(at, lambda _at: (rng.choice(accounts), next(targets)), seen)
        if pair is not None:
            follows.append((new_id(at), pair[0], pair[1], ts(at, sqlite), True, False))
    statuses.sort()
    return {"statuses": statuses, "favourites": favs, "follows": follows}


async def timed_rollups(settings: Settings, now: datetime) -> dict[str, Any]:
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    out: dict[str, Any] = {}
    try:
        async with sessions() as s:
            t0 = time.perf_counter()
            full = await demo_backfill(s, settings, now)
            await s.commit()
            out["full_seconds"] = time.perf_counter() - t0
            out["days"], out["account_rows"], out["post_rows"] = full.days, full.account_rows, full.post_rows
        async with sessions() as s:
            t0 = time.perf_counter()
            inc, _remaining = await do_rollup_pending(s, settings, now)
            await s.commit()
            out["incremental_seconds"] = time.perf_counter() - t0
            out["incremental_days"] = inc.days
        async with sessions() as s:
            week = days_between(now.date() - timedelta(days=6), now.date())
            t0 = time.perf_counter()
            await roll_days(s, settings, week, now)
            await s.commit()
            out["week_seconds"] = time.perf_counter() - t0
            out["rows_after"] = [await s.scalar(select(func.count()).select_from(m)) for m in (AccountDaily, PostDaily)]
        out["idempotent"] = out["rows_after"] == [out["account_rows"], out["post_rows"]]
    finally:
        await engine.dispose()
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="chaupal-bench-rollup-"))
    dbname = None
    if args.backend == "postgres":
        dbname = f"chaupal_bench_rollup_{uuid.uuid4().hex[:10]}"
        pg_admin(f'CREATE DATABASE "{dbname}"')
        url = f"{PG_ADMIN_URL.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+asyncpg://')}/{dbname}"
    else:
        url = f"sqlite+aiosqlite:///{tmp}/rollup.sqlite3"
    settings = Settings(data_dir=tmp, database_url=url)
    now = datetime.now(UTC)
    result: dict[str, Any] = {"backend": args.backend, "when": now.isoformat(timespec="seconds"), "machine": machine(),
                              "scale": {"events": args.events, "accounts": args.accounts, "days": DAYS}}
    try:
        asyncio.run(migrations.upgrade(settings))
        conn, sqlite = bulkload.connect(url.replace("+aiosqlite", "").replace("+asyncpg", ""))
        console.print(f"[bold]{args.backend}[/bold]: generating {args.events:,} events for {args.accounts:,} accounts")
        accounts = list(bulkload.account_rows(args.accounts, now - timedelta(days=DAYS), sqlite, prefix="r"))
        rows = generate(rng, args.events, [a[0] for a in accounts], now, sqlite)
        counts = {"statuses": len(rows["statuses"]), "favourites": len(rows["favourites"]), "follows": len(rows["follows"])}
        result["scale"]["rows"] = counts
        t0 = time.perf_counter()
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("bulk load", total=sum(counts.values()) + len(accounts))
            for table, cols, data in (("accounts", bulkload.ACCOUNT_COLS, accounts), ("statuses", STATUS_COLS, rows["statuses"]),
                                      ("favourites", FAV_COLS, rows["favourites"]), ("follows", bulkload.FOLLOW_COLS, rows["follows"])):
                if sqlite or table != "statuses":
                    bulkload.insert(conn, sqlite, table, cols, data)
                else:
                    copy_nullable(conn, table, cols, data, NULLABLE)
                progress.advance(task, len(data))
            conn.execute("COMMIT") if sqlite else conn.commit()
            (conn.execute("ANALYZE") if sqlite else conn.cursor().execute("ANALYZE"))
            conn.close() if sqlite else (conn.commit(), conn.close())
        result["load_seconds"] = time.perf_counter() - t0
        console.print(f"loaded {counts} in {result['load_seconds']:.0f} s; rolling up")
        with console.status("full rollup, incremental round, re-roll of 7 days"):
            result.update(asyncio.run(timed_rollups(settings, now)))
        result["machine"]["load_after"] = __import__("os").getloadavg()[0]
        return result
    finally:
        if dbname:
            pg_admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


def show(r: dict[str, Any]) -> None:
    table = Table(title=f"Rollup of {sum(r['scale']['rows'].values()):,} events ({r['backend']})")
    for col in ("full rollup", "rows/s", "incremental round", "re-roll 7 days", "days", "account rows", "post rows", "idempotent"):
        table.add_column(col, justify="right")
    table.add_row(f"{r['full_seconds']:.1f} s", f"{sum(r['scale']['rows'].values()) / r['full_seconds']:,.0f}",
                  f"{r['incremental_seconds']:.2f} s", f"{r['week_seconds']:.2f} s", str(r["days"]),
                  f"{r['account_rows']:,}", f"{r['post_rows']:,}", "yes" if r["idempotent"] else "NO")
    console.print(table)


def chart(results: dict[str, Any]) -> None:
    """A small SVG: seconds per backend for the full rollup, the incremental round and 7 days."""
    keys = (("full_seconds", "full"), ("week_seconds", "7 days"), ("incremental_seconds", "incremental"))
    peak = max([results[b][k] for b in results for k, _ in keys] + [1]) * 1.15
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="520" height="240" viewBox="0 0 520 240" font-family="sans-serif">',
           '<text x="260" y="20" text-anchor="middle" font-weight="bold">Rollup of 1,000,000 events (seconds)</text>']
    colours = {"sqlite": "#1f6feb", "postgres": "#1a7f37"}
    for gi, (key, label) in enumerate(keys):
        for bi, backend in enumerate(sorted(results)):
            v = results[backend][key]
            h = v / peak * 160
            x = 40 + gi * 160 + bi * 55
            out.append(f'<rect x="{x}" y="{200 - h:.1f}" width="45" height="{h:.1f}" fill="{colours.get(backend, "#888")}"/>')
            out.append(f'<text x="{x + 22}" y="{196 - h:.1f}" text-anchor="middle" font-size="11">{v:,.1f}</text>')
        out.append(f'<text x="{40 + gi * 160 + 50}" y="218" text-anchor="middle" font-size="12">{label}</text>')
    for bi, backend in enumerate(sorted(results)):
        out.append(f'<rect x="{380 + bi * 70}" y="228" width="10" height="10" fill="{colours.get(backend, "#888")}"/>'
                   f'<text x="{394 + bi * 70}" y="237" font-size="11">{backend}</text>')
    out.append("</svg>")
    CHART.parent.mkdir(parents=True, exist_ok=True)
    CHART.write_text("\n".join(out) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    result = run(args)
    show(result)
    stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    stored[args.backend] = result
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(stored, indent=2) + "\n")
    chart(stored)
    console.print(f"saved {RESULTS.relative_to(ROOT)} and {CHART.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
