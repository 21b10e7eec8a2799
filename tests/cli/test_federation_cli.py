"""`chaupal federation destinations` lists each remote server's delivery health."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chaupal.cli import app
from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker, utcnow
from chaupal.models.federation import DeliveryDestination

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


def _invoke(data_dir: Path, *args: str) -> Any:
    env = {"CHAUPAL_DATA_DIR": str(data_dir), "CHAUPAL_DATABASE_URL": "", "CHAUPAL_REDIS_URL": "", "COLUMNS": "200"}
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def test_federation_destinations__shows_health(data_dir):
    assert _invoke(data_dir, "migrate").exit_code == 0

    async def seed() -> None:
        engine = make_engine(Settings(data_dir=data_dir))
        try:
            async with make_sessionmaker(engine)() as s:
                now = utcnow()
                s.add(DeliveryDestination(host="up.example", last_success_at=now, deliveries=3))
                s.add(DeliveryDestination(host="down.example", failing_since=now - timedelta(days=8), unavailable=True, failures=40, last_error="HTTP 503"))
                s.add(DeliveryDestination(host="flaky.example", failing_since=now, failures=2))
                await s.commit()
        finally:
            await engine.dispose()

    asyncio.run(seed())
    out = _invoke(data_dir, "federation", "destinations").output
    lines = [line for line in out.splitlines() if ".example" in line]
    assert [line.split()[1] for line in lines] == ["down.example", "flaky.example", "up.example"]
    assert "unavailable" in lines[0] and "HTTP 503" in lines[0] and "failing" in lines[1] and "ok" in lines[2]
    failing = _invoke(data_dir, "federation", "destinations", "--failing").output
    assert "up.example" not in failing and "down.example" in failing
