"""The migrations build exactly the schema `chaupal.models` describes, on SQLite and
PostgreSQL, and downgrade back to an empty database."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import chaupal.models  # noqa: F401
from chaupal import migrations
from chaupal.config import Settings
from chaupal.db import Base, make_engine
from chaupal.devdb import pg_admin
from chaupal.migrations.hooks import include_object
from chaupal.search_index import search_index_ddl

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("CHAUPAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_admin(sql: str) -> None:
    pg_admin(PG_ADMIN_URL, sql)


@pytest.fixture(params=["sqlite", "postgres"])
async def fresh_settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings pointing at a brand-new empty database of each kind."""
    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path}/m.sqlite3")
        return
    name = f"chaupal_migrate_{uuid.uuid4().hex[:10]}"
    try:
        _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001
        if CI:
            pytest.fail(f"PostgreSQL is not reachable ({exc!r}); CI=true requires it")
        pytest.skip(f"PostgreSQL is not reachable ({exc!r})")
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield Settings(data_dir=tmp_path, database_url=f"{base}/{name}")
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _inspect(settings: Settings, fn: Any) -> Any:
    engine = make_engine(settings)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def _diff(conn: Any) -> list[Any]:
    ctx = MigrationContext.configure(
        conn, opts={"compare_type": True, "include_object": include_object}
    )
    return compare_metadata(ctx, Base.metadata)


def _tables(conn: Any) -> set[str]:
    return set(inspect(conn).get_table_names())


async def test_upgrade_head__schema_matches_models(fresh_settings):
    await migrations.upgrade(fresh_settings)

    assert await _inspect(fresh_settings, _diff) == []
    assert await migrations.current_revision(fresh_settings) == migrations.head_revision()


async def test_upgrade_head__extra_tables_come_from_search_index(fresh_settings):
    await migrations.upgrade(fresh_settings)
    tables = await _inspect(fresh_settings, _tables)
    dialect = "sqlite" if fresh_settings.is_sqlite else "postgresql"
    ddl = "\n".join(search_index_ddl(dialect))

    extra = tables - set(Base.metadata.tables) - {"alembic_version"}
    assert all(name.split("_")[0] in ddl for name in extra), extra
    assert set(Base.metadata.tables) <= tables


async def test_downgrade_base__empties_database_and_upgrades_again(fresh_settings):
    await migrations.upgrade(fresh_settings)
    await migrations.downgrade(fresh_settings, "base")

    assert await _inspect(fresh_settings, _tables) <= {"alembic_version"}
    assert await migrations.current_revision(fresh_settings) is None

    await migrations.upgrade(fresh_settings)
    assert await _inspect(fresh_settings, _diff) == []


async def test_upgrade_twice__is_a_no_op(fresh_settings):
    await migrations.upgrade(fresh_settings)
    await migrations.upgrade(fresh_settings)
    assert await migrations.current_revision(fresh_settings) == migrations.head_revision()
