"""Trends: time one refresh (`compute_trends` + store) and one public read on a generated week
of public statuses (SQLite in a temp folder, or `--database-url` for PostgreSQL).

    .venv/bin/python benchmarks/bench_trends.py --statuses 50000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, text

import chaupal.models  # noqa: F401
from chaupal.actions.trends import do_refresh_trends
from chaupal.config import Settings
from chaupal.db import Base, make_engine, make_sessionmaker, utcnow
from chaupal.insights.trends.query import public_trends
from chaupal.lib.ids import new_id
from chaupal.models import Account, Favourite, Status, StatusTag, Tag, TrendReview

TAGS = ["किसान", "बजट", "Budget", "Railways", "स्वास्थ्य", "DigitalIndia", "Monsoon", "GST"]


async def seed(settings: Settings, statuses: int, accounts: int, rng: random.Random) -> None:
    engine = make_engine(settings)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        now = utcnow()
        acc = [{"id": new_id(), "username": f"u{i}", "username_lower": f"u{i}"} for i in range(accounts)]
        await conn.execute(insert(Account), acc)
        tags = [{"id": new_id(), "name": t, "name_lower": t.lower()} for t in TAGS + [f"t{i}" for i in range(500)]]
        await conn.execute(insert(Tag), tags)
        rows, links, favs = [], [], []
        for _ in range(statuses):
            at = now - timedelta(seconds=rng.random() * 7 * 86400)
            sid = new_id(at)
            tag = tags[min(int(rng.expovariate(0.05)), len(tags) - 1)]
            url = f" https://example.gov.in/p/{int(rng.expovariate(0.1))}" if rng.random() < 0.2 else ""
            rows.append({"id": sid, "account_id": rng.choice(acc)["id"], "text": f"post #{tag['name']}{url}",
                         "visibility": "public", "language": rng.choice(["hi", "en"]), "created_at": at})
            links.append({"status_id": sid, "tag_id": tag["id"]})
            for _ in range(int(rng.expovariate(0.5))):
                favs.append({"id": new_id(), "account_id": rng.choice(acc)["id"], "status_id": sid,
                             "created_at": at + timedelta(minutes=rng.random() * 60)})
        for chunk in range(0, len(rows), 5000):
            await conn.execute(insert(Status), rows[chunk : chunk + 5000])
            await conn.execute(insert(StatusTag), links[chunk : chunk + 5000])
        seen: set[tuple[int, int]] = set()
        favs = [f for f in favs if (f["account_id"], f["status_id"]) not in seen
                and not seen.add((f["account_id"], f["status_id"]))]  # type: ignore[func-returns-value]
        for chunk in range(0, len(favs), 5000):
            await conn.execute(insert(Favourite), favs[chunk : chunk + 5000])
        await conn.execute(insert(TrendReview), [{"id": new_id(), "kind": "tag", "item_id": t["id"], "trendable": True}
                                                 for t in tags])
        if conn.dialect.name == "sqlite":
            await conn.execute(text("ANALYZE"))
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--statuses", type=int, default=50_000)
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-trends-"))
    settings = Settings(data_dir=folder, database_url=args.database_url)
    await seed(settings, args.statuses, args.accounts, random.Random(0))
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        start = time.perf_counter()
        stored = await do_refresh_trends(session, settings)
        await session.commit()
        refresh = time.perf_counter() - start
    reads = 50
    async with sessions() as session:
        start = time.perf_counter()
        for _ in range(reads):
            await public_trends(session, settings, "tag", "", offset=0, limit=10)
        read = (time.perf_counter() - start) / reads
    await engine.dispose()
    print(f"{args.statuses} statuses, {args.accounts} accounts ({settings.resolved_database_url.split(':')[0]})")
    print(f"refresh (scan, score, store {stored} rows): {refresh:.2f} s")
    print(f"public read of 10 trending tags: {read * 1000:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
