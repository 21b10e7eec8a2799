"""Reaction-monitor benchmark: what sentiment labelling adds to each post, batch labelling
speed, and how long one monitor answer takes for a post with thousands of replies.

    .venv/bin/python benchmarks/bench_monitor.py [--posts 600] [--replies 5000] [--database-url URL]

Runs in-process on a fresh temporary SQLite database (or the PostgreSQL database given, whose
tables it creates and which should be empty); texts are the held-in sentiment sets when present.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, text

import chaupal.models  # noqa: F401  (registers tables)
from chaupal.actions.accounts import check_create_account
from chaupal.actions.statuses import check_create_status
from chaupal.config import Settings
from chaupal.db import Base, make_engine, make_sessionmaker, utcnow
from chaupal.insights.monitor.aggregate import reactions
from chaupal.insights.monitor.labels import DEFER, label_missing, label_texts
from chaupal.insights.monitor.subjects import status_subject
from chaupal.insights.monitor.window import resolve_window
from chaupal.lib.ids import new_id
from chaupal.models import Status
from chaupal.search_index import search_index_ddl

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "sentiment"
console = Console()


def texts(n: int) -> list[str]:
    out: list[str] = []
    for name in ("en-tweeteval-val.tsv", "hinglish-sentimix-dev.tsv"):
        path = DATA / name
        if path.exists():
            out += [line.split("\t", 1)[1] for line in path.read_text().splitlines()[1:] if "\t" in line]
    if not out:
        out = ["Great news, thank you!", "yeh scheme bekaar hai, kab milega?", "यह योजना अच्छी है"]
    return [out[i % len(out)][:480] for i in range(n)]


def per_call(sample: list[str]) -> tuple[float, float, float]:
    """(mean, p50, p99) microseconds for one post's label (classifier + language + question)."""
    label_texts(sample[:50])  # warm-up, model loaded
    times = []
    for t in sample:
        start = time.perf_counter()
        label_texts([t])
        times.append((time.perf_counter() - start) * 1e6)
    times.sort()
    return statistics.fmean(times), times[len(times) // 2], times[int(len(times) * 0.99)]


async def posting(settings: Settings, sample: list[str]) -> tuple[float, float, float, float, float]:
    """ms per post (check_create_status + commit), labelling on vs off, in alternating blocks;
    then posts/s of batch labelling (label_missing) over the posts made without labels."""
    engine = make_engine(settings)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        for stmt in search_index_ddl(conn.dialect.name):
            await conn.execute(text(stmt))
    sessions = make_sessionmaker(engine)
    async with sessions() as s:
        account, _ = await check_create_account(
            s, settings, username=f"bench{new_id() % 100000}", email=f"b{new_id()}@example.org", password="password123"
        )
        await s.commit()
    on: list[float] = []
    off: list[float] = []
    cpu = {True: 0.0, False: 0.0}
    block = 25
    for i in range(0, len(sample), block):
        deferred = (i // block) % 2 == 1
        for t in sample[i : i + block]:
            async with sessions() as s:
                if deferred:
                    s.info[DEFER] = True
                author = await s.get(type(account), account.id)
                start, start_cpu = time.perf_counter(), time.process_time()
                await check_create_status(s, settings, author, text=t)
                await s.commit()
                (off if deferred else on).append((time.perf_counter() - start) * 1000)
                cpu[deferred] += time.process_time() - start_cpu
    async with sessions() as s:
        start = time.perf_counter()
        n = await label_missing(s)
        await s.commit()
        batch_rate = n / (time.perf_counter() - start)
    await engine.dispose()
    cpu_on, cpu_off = 1000 * cpu[False] / len(on), 1000 * cpu[True] / len(off)
    return statistics.median(on), statistics.median(off), batch_rate, cpu_on, cpu_off


async def answer_time(settings: Settings, replies: int, sample: list[str]) -> tuple[float, float, int]:
    """(p50, max) ms of one monitor answer for a post with `replies` labelled replies in the last hour."""
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    now = utcnow()
    async with sessions() as s:
        author = await check_create_account(
            s, settings, username=f"pmo{new_id() % 100000}", email=f"p{new_id()}@example.org", password="password123"
        )
        root = await check_create_status(s, settings, author[0], text="Announcement", created_at=now - timedelta(hours=1))
        rows = []
        for k in range(replies):
            at = now - timedelta(seconds=3600 * (1 - (k + 1) / (replies + 1)))
            rows.append({
                "id": new_id(at), "account_id": author[0].id, "text": sample[k % len(sample)], "content": "",
                "visibility": "public", "in_reply_to_id": root.id, "in_reply_to_account_id": author[0].id,
                "conversation_id": root.id, "created_at": at, "local": True, "spoiler_text": "",
                "sensitive": False, "favourites_count": k % 7, "reblogs_count": 0, "replies_count": 0,
            })
        await s.execute(insert(Status), rows)
        await label_missing(s)
        await s.commit()
        # the replies are by the author here; count them as citizens' by monitoring with no owner
        subject = await status_subject(s, None, root.id)
        subject.account_id = None
        times = []
        for _ in range(7):
            window = resolve_window(settings, utcnow(), "2h", None)
            start = time.perf_counter()
            data = await reactions(s, settings, subject, None, window)
            times.append((time.perf_counter() - start) * 1000)
    await engine.dispose()
    times.sort()
    return times[len(times) // 2], times[-1], data["total"]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=600)
    parser.add_argument("--replies", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    settings = Settings(data_dir=Path(tmp.name), database_url=url, secret_key="bench", domain="bench.test")
    sample = texts(max(args.calls, args.posts, 1000))
    mean, p50, p99 = per_call(sample[: args.calls])
    on, off, batch_rate, cpu_on, cpu_off = await posting(settings, sample[: args.posts])
    a50, amax, total = await answer_time(settings, args.replies, sample)
    table = Table(title=f"Reaction monitor ({'sqlite' if settings.is_sqlite else 'postgres'})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("label one post (classifier + language + question), mean / p50 / p99", f"{mean:.0f} / {p50:.0f} / {p99:.0f} µs")
    table.add_row(f"post + commit, labelling on: wall median / CPU mean ({len(sample[:args.posts]) // 2} posts)", f"{on:.2f} / {cpu_on:.2f} ms")
    table.add_row("post + commit, labelling off: wall median / CPU mean", f"{off:.2f} / {cpu_off:.2f} ms")
    table.add_row("labelling cost in the posting path: wall / CPU", f"{on - off:+.2f} / {cpu_on - cpu_off:+.2f} ms")
    table.add_row("batch labelling of existing posts (label_missing)", f"{batch_rate:,.0f} posts/s")
    table.add_row(f"one monitor answer, post with {total:,} replies, p50 / max", f"{a50:.0f} / {amax:.0f} ms")
    console.print(table)
    tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
