"""`chaupal insights rollup`: run the analytics rollup now (what the job does), or re-roll a
chosen range of days after a correction or an import; commits at the end."""

from __future__ import annotations

import asyncio
from datetime import date

import typer
from rich.console import Console

from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker, utcnow
from chaupal.insights.analytics.days import days_between
from chaupal.insights.analytics.job import do_rollup_pending, roll_days
from chaupal.insights.analytics.rollup import RollupResult


async def _rollup(settings: Settings, first: date | None, last: date | None) -> tuple[RollupResult, int]:
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            now = utcnow()
            if first is None:
                result, remaining = await do_rollup_pending(session, settings, now, max_days=100_000)
            else:
                result = await roll_days(session, settings, days_between(first, last or now.date()), now)
                remaining = 0
            await session.commit()
            return result, remaining
    finally:
        await engine.dispose()


def rollup_command(from_: str | None, to: str | None) -> None:
    try:
        first = date.fromisoformat(from_) if from_ else None
        last = date.fromisoformat(to) if to else None
    except ValueError:
        raise typer.BadParameter("dates are YYYY-MM-DD") from None
    if last is not None and first is None:
        raise typer.BadParameter("--to needs --from")
    if first is not None and last is not None and first > last:
        raise typer.BadParameter("--from must not be after --to")
    result, remaining = asyncio.run(_rollup(Settings(), first, last))
    Console().print(
        f"Rolled up {result.days} day(s): {result.account_rows:,} account rows, {result.post_rows:,} post rows"
        + (f"; {remaining} day(s) left" if remaining else "")
    )
