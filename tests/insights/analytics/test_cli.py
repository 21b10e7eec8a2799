"""`chaupal insights rollup` rolls pending days, or re-rolls a range; bad dates exit non-zero."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select
from typer.testing import CliRunner

from chaupal.cli import app as cli
from chaupal.models import AccountDaily
from tests.insights.analytics.dataset import generate

runner = CliRunner()


async def test_cli_rollup__pending_then_range(session: Any, settings: Any) -> None:
    ds = await generate(session, seed=6, n_accounts=4, days=3)
    await session.commit()
    env = {"CHAUPAL_DATA_DIR": str(settings.data_dir), "CHAUPAL_DATABASE_URL": settings.database_url,
           "CHAUPAL_REDIS_URL": ""}
    r = await asyncio.to_thread(runner.invoke, cli, ["insights", "rollup"], env=env)
    assert r.exit_code == 0, r.output
    assert "Rolled up" in r.output
    rows = await session.scalar(select(func.count()).select_from(AccountDaily))
    assert rows
    await session.rollback()
    r = await asyncio.to_thread(runner.invoke, cli, ["insights", "rollup", "--from", ds.first.isoformat(),
                                                     "--to", ds.last.isoformat()], env=env)
    assert r.exit_code == 0 and "Rolled up 3 day(s)" in r.output, r.output
    assert await session.scalar(select(func.count()).select_from(AccountDaily)) == rows
    for bad in (["--from", "2026-13-01"], ["--to", "2026-01-01"], ["--from", "2026-02-02", "--to", "2026-02-01"]):
        r = await asyncio.to_thread(runner.invoke, cli, ["insights", "rollup", *bad], env=env)
        assert r.exit_code != 0, bad
