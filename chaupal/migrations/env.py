"""Alembic environment: runs on a connection handed in by `chaupal.migrations`, or builds the
async engine from `chaupal.config.Settings` (for the plain `alembic` command)."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

import chaupal.models  # noqa: F401  (registers every table)
from chaupal.config import Settings
from chaupal.db import Base, make_engine
from chaupal.migrations.hooks import include_object, render_item

config = context.config
target_metadata = Base.metadata


def configure_kwargs(connection: Connection) -> dict[str, Any]:
    return {
        "connection": connection,
        "target_metadata": target_metadata,
        "render_as_batch": True,  # SQLite can only ALTER by copying the table
        "compare_type": True,
        "compare_server_default": False,
        "render_item": render_item,
        "include_object": include_object,
        "template_args": {"initial": config.attributes.get("initial", False)},
    }


def do_run_migrations(connection: Connection) -> None:
    context.configure(**configure_kwargs(connection))
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    settings = config.attributes.get("settings") or Settings()
    engine = make_engine(settings)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())


if context.is_offline_mode():
    raise SystemExit(
        "Chaupal migrations run online only (the search index DDL depends on the dialect)"
    )
run_migrations_online()
