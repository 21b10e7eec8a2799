"""Alembic migrations shipped inside the package, so an installed Chaupal can migrate itself.

`upgrade(settings)` / `downgrade(settings, rev)` run them on the configured database;
no alembic.ini is needed: `alembic_config()` builds the configuration in code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from chaupal.config import Settings
from chaupal.db import make_engine

HERE = Path(__file__).resolve().parent


def alembic_config(settings: Settings | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["settings"] = settings or Settings()
    return cfg


async def _run(settings: Settings, fn: Any, *args: Any) -> None:
    engine = make_engine(settings)
    try:
        async with engine.begin() as conn:

            def work(sync_conn: Connection) -> None:
                cfg = alembic_config(settings)
                cfg.attributes["connection"] = sync_conn
                fn(cfg, *args)

            await conn.run_sync(work)
    finally:
        await engine.dispose()


async def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the database to `revision` (default: the newest)."""
    await _run(settings, command.upgrade, revision)


async def downgrade(settings: Settings, revision: str = "base") -> None:
    await _run(settings, command.downgrade, revision)


async def current_revision(settings: Settings) -> str | None:
    """The revision the database is at, or None for an empty (unmigrated) database."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(settings)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda c: MigrationContext.configure(c).get_current_revision()
            )
    finally:
        await engine.dispose()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
