"""`chaupal federation destinations`: the health of each remote server we deliver to (failing
since, last success, failures, unavailable), so failing deliveries are visible to operators.
The deliveries themselves are jobs (`chaupal jobs list`, kinds ap_distribute / ap_deliver)."""

from __future__ import annotations

import asyncio
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker

app = typer.Typer(help="Federation (ActivityPub): delivery health.", no_args_is_help=True)
console = Console()


def _when(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


@app.command("destinations")
def destinations(
    failing: bool = typer.Option(False, "--failing", help="Only servers failing now."),
    limit: int = typer.Option(100, min=1, max=100_000, help="How many (unavailable, then failing, then by host)."),
) -> None:
    """List remote servers we deliver to, with their delivery health."""
    from chaupal.federation.delivery import list_destinations

    async def run() -> list[Any]:
        settings = Settings()
        engine = make_engine(settings)
        try:
            async with make_sessionmaker(engine)() as session:
                return await list_destinations(session, failing_only=failing, limit=limit)
        finally:
            await engine.dispose()

    rows = asyncio.run(run())
    table = Table("host", "state", "failing since", "last success", "failures", "delivered", "last error")
    for d in rows:
        state = "unavailable" if d.unavailable else ("failing" if d.failing_since else "ok")
        table.add_row(
            d.host,
            state,
            _when(d.failing_since),
            _when(d.last_success_at),
            str(d.failures),
            str(d.deliveries),
            (d.last_error or "")[:80],
        )
    console.print(table)
