"""Search index objects inside migrations: the statements come from
`chaupal.search_index` at migration time, so its current content is what runs."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chaupal import search_index


def create_search_index() -> None:
    bind = op.get_bind()
    for stmt in search_index.search_index_ddl(bind.dialect.name):
        bind.execute(sa.text(stmt))


def drop_search_index() -> None:
    """Remove what `create_search_index` made: `search_index_drop(dialect)` when the search
    module offers it, otherwise every trigger and table that the metadata does not describe."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    dropper = getattr(search_index, "search_index_drop", None)
    if dropper is not None:
        for stmt in dropper(dialect):
            bind.execute(sa.text(stmt))
        return
    from chaupal.db import Base

    known = set(Base.metadata.tables) | {"alembic_version"}
    if dialect == "sqlite":
        rows = bind.execute(
            sa.text("SELECT type, name, sql FROM sqlite_master WHERE type IN ('trigger', 'table')")
        ).all()
        for type_, name, _sql in rows:
            if type_ == "trigger":
                bind.execute(sa.text(f'DROP TRIGGER IF EXISTS "{name}"'))
        for type_, name, sql in rows:
            if (
                type_ == "table"
                and name not in known
                and (sql or "").upper().startswith("CREATE VIRTUAL TABLE")
            ):
                bind.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
        rows = bind.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'table'")).all()
        for (name,) in rows:
            if name not in known and not name.startswith("sqlite_"):
                bind.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
    else:
        for name in sa.inspect(bind).get_table_names():
            if name not in known:
                bind.execute(sa.text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
