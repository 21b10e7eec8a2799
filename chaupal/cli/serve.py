"""`chaupal serve` (uvicorn with uvloop and httptools) and `chaupal migrate`."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from chaupal import migrations
from chaupal.config import Settings

console = Console(stderr=True)


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def migrate(
    revision: str = typer.Argument("head", help="Target revision (default: the newest)."),
) -> None:
    """Bring the database schema up to date."""
    settings = Settings()
    before = asyncio.run(migrations.current_revision(settings))
    asyncio.run(migrations.upgrade(settings, revision))
    after = asyncio.run(migrations.current_revision(settings))
    where = _redacted(settings.resolved_database_url)
    if before == after:
        console.print(f"Database {where} is up to date ({after}).")
    else:
        console.print(f"Migrated {where}: {before or 'empty'} -> {after}.")


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes (use >1 with PostgreSQL)."),
    access_log: bool = typer.Option(True, help="Log every request."),
    log_level: str = typer.Option("info", help="uvicorn log level."),
) -> None:
    """Serve the API and web pages over HTTP (uvicorn, uvloop, httptools)."""
    import uvicorn

    settings = Settings()
    if settings.is_sqlite and settings.auto_migrate:
        asyncio.run(migrations.upgrade(settings))
    else:
        current = asyncio.run(migrations.current_revision(settings))
        if current != migrations.head_revision():
            console.print(
                f"[yellow]Database is at revision {current or 'empty'}, the code expects "
                f"{migrations.head_revision()}: run `chaupal migrate`.[/yellow]"
            )
    if settings.is_sqlite and workers > 1:
        console.print("[yellow]SQLite takes one writer at a time; extra workers queue.[/yellow]")
    console.print(
        f"Chaupal on http://{host}:{port}  (database {_redacted(settings.resolved_database_url)})"
    )
    uvicorn.run(
        "chaupal.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=access_log,
        log_level=log_level,
        proxy_headers=True,
    )
