"""Full-text search index for statuses: SQLite FTS5 or PostgreSQL full text.

The DDL here is run by the migrations and by the test harness next to `create_all`.
Both index words of any script: FTS5's unicode61 tokenizer and PostgreSQL's `simple`
configuration keep Devanagari vowel signs and viramas inside words (tested)."""

from __future__ import annotations

FTS_TABLE = "statuses_fts"

# Contentless FTS5 table keyed by statuses.id (rowid), kept in sync by triggers.
_SQLITE_DDL = [
    (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
        "text, content='', tokenize='unicode61 remove_diacritics 2')"
    ),
    (
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON statuses BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END"
    ),
    (
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON statuses BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); END"
    ),
    (
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF text ON statuses BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); "
        f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END"
    ),
    # Index what is already there (a no-op on a fresh database).
    (
        f"INSERT INTO {FTS_TABLE}(rowid, text) SELECT id, text FROM statuses "
        f"WHERE NOT EXISTS (SELECT 1 FROM {FTS_TABLE} LIMIT 1)"
    ),
]

# The query must use the same expression, `to_tsvector('simple', text)`, to hit the index.
_POSTGRES_DDL = [
    "CREATE INDEX IF NOT EXISTS ix_statuses_fts ON statuses USING gin (to_tsvector('simple', text))",
]


def search_index_ddl(dialect: str) -> list[str]:
    """SQL statements that create the index objects SQLAlchemy metadata does not describe."""
    if dialect == "sqlite":
        return list(_SQLITE_DDL)
    if dialect == "postgresql":
        return list(_POSTGRES_DDL)
    return []


def search_index_clear(dialect: str) -> list[str]:
    """SQL statements that empty the index (tests wipe tables between cases)."""
    if dialect == "sqlite":
        return [f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')"]
    return []  # the PostgreSQL index follows its table
