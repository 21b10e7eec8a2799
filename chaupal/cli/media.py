"""`chaupal media ...`: media housekeeping through the same actions as the API."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker

app = typer.Typer(help="Media attachments housekeeping.", no_args_is_help=True)
console = Console()


@app.command("cleanup")
def cleanup() -> None:
    """Remove unattached uploads older than media_unattached_ttl_seconds (rows and files), and
    stored files no row names. Safe to run at any time, e.g. hourly from cron."""
    from chaupal.actions.media import cleanup_unattached_media

    settings = Settings()

    async def run() -> dict[str, int]:
        engine = make_engine(settings)
        try:
            return await cleanup_unattached_media(make_sessionmaker(engine), settings)
        finally:
            await engine.dispose()

    result = asyncio.run(run())
    console.print(
        f"removed {result['media']} unattached media ({result['files']} files)"
        f" and {result['orphans']} orphan files"
    )
