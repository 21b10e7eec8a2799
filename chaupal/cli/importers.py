"""`chaupal import ...`: bring an account's history from another platform (an X/Twitter
archive export), in one transaction: a malformed archive imports nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import select

from chaupal.cli.admin import _in_session
from chaupal.config import Settings
from chaupal.errors import ApiError

app = typer.Typer(help="Import an account's history from another platform.", no_args_is_help=True)
console = Console()


@app.callback()
def importers() -> None:
    """Import an account's history from another platform."""


@app.command("x-archive")
def x_archive(
    path: Annotated[Path, typer.Argument(help="The X/Twitter archive: its folder or its .zip.")],
    account: Annotated[str, typer.Option("--account", help="Username of the local account it becomes.")],
) -> None:
    """Store the tweets of an X archive (data/tweets.js) as the account's posts, at their
    original times, with hashtags, threads, media kinds and engagement. Re-running skips tweets
    already imported; retweets are not imported."""
    from chaupal.actions.imports import do_import_x_tweets
    from chaupal.importers.x_archive import ArchiveError, load_x_archive
    from chaupal.models import Account

    settings = Settings()
    try:
        tweets = load_x_archive(
            path, max_bytes=settings.x_archive_max_bytes, max_tweets=settings.x_archive_max_tweets
        )
    except ArchiveError as exc:
        console.print(f"[red]Not imported: {exc}[/red]")
        raise typer.Exit(1) from exc

    async def work(session: Any) -> str:
        target = await session.scalar(
            select(Account).where(
                Account.username_lower == account.lstrip("@").lower(), Account.domain == ""
            )
        )
        if target is None:
            raise ApiError(404, f"No local account @{account.lstrip('@')}")
        with Progress(
            TextColumn("Importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=console, transient=True,
        ) as bar:
            task = bar.add_task("tweets", total=len(tweets))
            report = await do_import_x_tweets(
                session, settings, target, tweets, progress=lambda n: bar.advance(task, n)
            )
        return f"@{target.username}: {report.summary()}."

    try:
        message = asyncio.run(_in_session(settings, work))
    except ApiError as exc:
        console.print(f"[red]Not imported: {exc.message}[/red]")
        raise typer.Exit(1) from exc
    console.print(message)
