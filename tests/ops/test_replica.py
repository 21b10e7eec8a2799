"""`database_replica_url`: GET requests read from a PostgreSQL read replica (here the primary
itself stands in for one); writes stay on the primary; SQLite refuses the setting."""

from __future__ import annotations

import pytest

from chaupal.app import create_app
from chaupal.config import Settings


async def test_replica__reads_use_the_replica_engine_writes_the_primary(settings, make_user):
    if settings.is_sqlite:
        pytest.skip("a read replica is a PostgreSQL setting")
    import httpx

    replica = settings.model_copy(update={"database_replica_url": settings.resolved_database_url})
    app = create_app(replica)
    async with app.router.lifespan_context(app):
        assert app.state.read_engine is not app.state.engine
        assert app.state.read_sessions.kw["bind"] is app.state.read_engine
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://chaupal.test") as client:
            assert (await client.get("/api/v1/timelines/public")).status_code == 200


async def test_replica__refused_on_sqlite(tmp_path):
    s = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/r.sqlite3",
        database_replica_url=f"sqlite+aiosqlite:///{tmp_path}/other.sqlite3",
    )
    app = create_app(s)
    with pytest.raises(RuntimeError, match="needs PostgreSQL"):
        async with app.router.lifespan_context(app):
            pass
