"""Test harness: every test that takes `client` or `session` runs on SQLite and PostgreSQL.

Each run creates its own uniquely named PostgreSQL database and Redis key prefix and
drops them afterwards. With CI=true a missing PostgreSQL or Redis fails the run instead
of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

import chaupal.models  # noqa: F401  (registers tables)
from chaupal.actions.accounts import check_create_account
from chaupal.actions.tokens import do_issue_token
from chaupal.app import create_app
from chaupal.config import Settings
from chaupal.db import Base, make_engine
from chaupal.devdb import pg_admin

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("CHAUPAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CHAUPAL_TEST_REDIS", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:10]


def _service_missing(what: str, exc: BaseException) -> None:
    message = f"{what} is not reachable ({exc!r})"
    if CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


def _pg_admin(sql: str) -> None:
    pg_admin(PG_ADMIN_URL, sql)


@pytest.fixture(scope="session")
def pg_database() -> Any:
    name = f"chaupal_test_{RUN_ID}"
    try:
        _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001
        _service_missing("PostgreSQL", exc)
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except Exception as exc:  # noqa: BLE001
        _service_missing("Redis", exc)
    return REDIS_URL


@pytest.fixture(scope="session")
def redis_prefix(redis_url: str) -> Any:
    prefix = f"chaupal-test-{RUN_ID}:"
    yield prefix
    import redis

    r = redis.Redis.from_url(redis_url)
    keys = list(r.scan_iter(f"{prefix}*"))
    if keys:
        r.delete(*keys)


@pytest.fixture(params=["sqlite", "postgres"], scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def _schema_urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {}


async def _create_schema(settings: Settings) -> None:
    engine = make_engine(settings)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        from chaupal.search_index import search_index_ddl

        for stmt in search_index_ddl(conn.dialect.name):
            await conn.execute(text(stmt))
    await engine.dispose()


async def _wipe(settings: Settings) -> None:
    engine = make_engine(settings)
    async with engine.begin() as conn:
        names = [t.name for t in reversed(Base.metadata.sorted_tables)]
        if settings.is_sqlite:
            for name in names:
                await conn.execute(text(f'DELETE FROM "{name}"'))
        else:
            await conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " CASCADE"))
        from chaupal.search_index import search_index_clear

        for stmt in search_index_clear(conn.dialect.name):
            await conn.execute(text(stmt))
    await engine.dispose()


_created: set[str] = set()


@pytest.fixture
async def settings(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Settings]:
    if backend == "postgres":
        url = request.getfixturevalue("pg_database")
        data_dir = tmp_path_factory.getbasetemp() / "pg-data"
    else:
        data_dir = tmp_path_factory.getbasetemp() / "sqlite-data"
        url = f"sqlite+aiosqlite:///{data_dir / 'test.sqlite3'}"
    s = Settings(
        data_dir=Path(data_dir),
        database_url=url,
        domain="chaupal.test",
        secret_key="test-secret",
        redis_prefix=f"chaupal-test-{RUN_ID}:",
        jobs_in_process=False,  # tests run jobs explicitly (chaupal.jobs.run_due)
    )
    if url not in _created:
        data_dir.mkdir(parents=True, exist_ok=True)
        await _create_schema(s)
        _created.add(url)
    else:
        await _wipe(s)
    yield s


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 12345))
    async with httpx.AsyncClient(transport=transport, base_url="http://chaupal.test") as c:
        yield c


@pytest.fixture
async def session(app: Any) -> AsyncIterator[AsyncSession]:
    async with app.state.sessions() as s:
        yield s


@dataclass
class TestUser:
    account_id: int
    user_id: int
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_user(app: Any, settings: Settings) -> Any:
    """`await make_user("alice", scopes="read write follow", **account_fields)` -> TestUser."""

    async def factory(username: str, scopes: str = "read write follow push", **fields: Any) -> TestUser:
        async with app.state.sessions() as s:
            account, user = await check_create_account(
                s, settings, username=username, email=f"{username}@example.org", password="password123"
            )
            for key, value in fields.items():
                setattr(account, key, value)
            _, plain, _ = await do_issue_token(s, user_id=user.id, application_id=None, scopes=scopes)
            await s.commit()
            return TestUser(account.id, user.id, username, plain)

    return factory
