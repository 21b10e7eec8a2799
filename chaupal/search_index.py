"""Full-text search index for statuses: SQLite FTS5 or PostgreSQL full text.

The DDL here is run by the migrations and by the test harness next to `create_all`."""

from __future__ import annotations


def search_index_ddl(dialect: str) -> list[str]:
    """SQL statements that create the index objects SQLAlchemy metadata does not describe."""
    return []


def search_index_clear(dialect: str) -> list[str]:
    """SQL statements that empty the index (tests wipe tables between cases)."""
    return []
