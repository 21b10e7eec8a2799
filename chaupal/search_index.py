"""Full-text search index for statuses: SQLite FTS5 or PostgreSQL full text.

Created by the migrations (and by the test harness next to `create_all`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection


async def create_search_index(conn: AsyncConnection) -> None:
    """Create the index objects that SQLAlchemy metadata does not describe."""


async def clear_search_index(conn: AsyncConnection) -> None:
    """Empty the index (tests wipe tables between cases)."""
