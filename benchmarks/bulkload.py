"""Bulk loading for benchmarks: accounts, posts and follows straight into the tables
(sqlite3 executemany / PostgreSQL COPY), bypassing the actions for speed."""

from __future__ import annotations

import csv
import io
import random
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from chaupal.lib.ids import new_id

ACCOUNT_COLS = (
    "id",
    "username",
    "username_lower",
    "domain",
    "display_name",
    "note",
    "note_html",
    "fields",
    "bot",
    "locked",
    "discoverable",
    "indexable",
    "hide_collections",
    "followers_count",
    "following_count",
    "statuses_count",
    "created_at",
    "updated_at",
    "kind",
    "actor_type",
    "also_known_as",
)
STATUS_COLS = (
    "id",
    "account_id",
    "text",
    "content",
    "spoiler_text",
    "sensitive",
    "visibility",
    "language",
    "local",
    "replies_count",
    "reblogs_count",
    "favourites_count",
    "created_at",
)
FOLLOW_COLS = ("id", "account_id", "target_account_id", "created_at", "show_reblogs", "notify")
WORDS = [
    "budget",
    "railways",
    "health",
    "school",
    "monsoon",
    "kisan",
    "startup",
    "export",
    "village",
    "water",
    "road",
    "market",
    "election",
    "vaccine",
    "metro",
    "train",
    "festival",
    "cricket",
    "chai",
    "सड़क",
    "पानी",
    "किसान",
    "स्कूल",
    "रेलवे",
    "बजट",
]


def _ts(at: datetime, sqlite: bool) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else at.isoformat()


def account_rows(
    n: int, now: datetime, sqlite: bool, prefix: str = "bulk"
) -> list[tuple[Any, ...]]:
    rows = []
    for i in range(n):
        at = now - timedelta(days=365)
        name = f"{prefix}{i}"
        rows.append(
            (
                new_id(at),
                name,
                name,
                "",
                name,
                "",
                "",
                "[]",
                False,
                False,
                True,
                True,
                False,
                0,
                0,
                0,
                _ts(at, sqlite),
                _ts(at, sqlite),
                "person",
                "Person",
                "[]",
            )
        )
    return rows


def status_rows(
    rng: random.Random, n: int, author_ids: list[int], now: datetime, days: int, sqlite: bool
) -> Iterator[tuple[Any, ...]]:
    """`n` posts at uniformly random moments, yielded oldest first: IDs then arrive in
    ascending order and the B-trees append instead of splitting pages at random."""
    span = days * 86400
    offsets = sorted((rng.random() * span for _ in range(n)), reverse=True)
    for offset in offsets:
        at = now - timedelta(seconds=offset)
        text = " ".join(rng.choices(WORDS, k=8))
        yield (
            new_id(at),
            rng.choice(author_ids),
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
            _ts(at, sqlite),
        )


def follow_rows(
    viewer: int, targets: Iterable[int], now: datetime, sqlite: bool
) -> list[tuple[Any, ...]]:
    return [(new_id(now), viewer, t, _ts(now, sqlite), True, False) for t in targets]


def insert(
    conn: Any,
    sqlite: bool,
    table: str,
    cols: tuple[str, ...],
    rows: Iterable[tuple[Any, ...]],
    chunk: int = 50_000,
) -> int:
    """Insert rows in chunks; returns the count. `conn` is sqlite3 or psycopg2."""
    total = 0
    batch: list[tuple[Any, ...]] = []

    def flush() -> None:
        if not batch:
            return
        if sqlite:
            marks = ", ".join("?" for _ in cols)
            conn.executemany(f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({marks})', batch)
        else:
            buf = io.StringIO()
            writer = csv.writer(buf, quoting=csv.QUOTE_ALL)  # "" is an empty string, not NULL
            for row in batch:
                writer.writerow(["t" if v is True else "f" if v is False else v for v in row])
            buf.seek(0)
            with conn.cursor() as cur:
                cur.copy_expert(
                    f'COPY "{table}" ({", ".join(cols)}) FROM STDIN WITH (FORMAT csv)', buf
                )
        batch.clear()

    for row in rows:
        batch.append(row)
        total += 1
        if len(batch) >= chunk:
            flush()
    flush()
    return total


def connect(sync_url: str) -> tuple[Any, bool]:
    if sync_url.startswith("sqlite"):
        conn = sqlite3.connect(sync_url.split("///", 1)[1], isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-524288")  # 512 MiB for the bulk load only
        conn.execute("BEGIN")
        return conn, True
    import psycopg2

    return psycopg2.connect(sync_url.replace("postgresql+asyncpg://", "postgresql://")), False


def load_timeline_data(
    sync_url: str,
    *,
    posts: int,
    accounts: int,
    follows: int,
    days: int = 182,
    seed: int = 1,
    viewer_id: int,
    progress: Any = None,
) -> dict[str, Any]:
    """Accounts, posts spread over `days`, and `viewer_id` following `follows` of them."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    conn, sqlite = connect(sync_url)
    try:
        acc = account_rows(accounts, now, sqlite)
        insert(conn, sqlite, "accounts", ACCOUNT_COLS, acc)
        ids = [r[0] for r in acc]
        targets = rng.sample(ids, min(follows, len(ids)))
        insert(conn, sqlite, "follows", FOLLOW_COLS, follow_rows(viewer_id, targets, now, sqlite))
        batch: list[tuple[Any, ...]] = []
        for done, row in enumerate(status_rows(rng, posts, ids, now, days, sqlite), 1):
            batch.append(row)
            if len(batch) == 50_000 or done == posts:
                insert(conn, sqlite, "statuses", STATUS_COLS, batch)
                if progress:
                    progress(len(batch))
                batch = []
        counts = {"follows": len(targets)}
        if sqlite:
            conn.execute(
                "UPDATE accounts SET following_count = ? WHERE id = ?", (len(targets), viewer_id)
            )
            conn.execute("COMMIT")
            conn.execute("ANALYZE")
        else:
            with conn.cursor() as cur:
                cur.execute(
                    "UPDATE accounts SET following_count = %s WHERE id = %s",
                    (len(targets), viewer_id),
                )
            conn.commit()
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("ANALYZE")
        return counts | {"posts": posts, "accounts": accounts}
    finally:
        conn.close()
