"""`chaupal backup PATH` and `chaupal restore PATH [--force]`: one tar.gz with the database, the
media folder and a checked manifest (chaupal/backup.py does the work; this shows progress)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from chaupal.config import Settings

console = Console()


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=False,
    )


def _stepper(progress: Progress) -> Callable[[str, int | None], Callable[[int], None]]:
    state: dict[str, Any] = {"task": None}

    def step(description: str, total: int | None) -> Callable[[int], None]:
        if state["task"] is not None:
            task = progress.tasks[-1]
            progress.update(
                state["task"], completed=task.total or task.completed or 1, total=task.total or 1
            )
        state["task"] = progress.add_task(description, total=total)
        task_id = state["task"]
        return lambda n: progress.advance(task_id, n)

    return step


def _summary(title: str, manifest: dict[str, Any]) -> None:
    from chaupal.backup import iter_summary

    table = Table(title=title, show_header=False)
    for key, value in iter_summary(manifest):
        table.add_row(key, value)
    console.print(table)


def backup(
    path: Annotated[
        Path, typer.Argument(help="Archive to write, e.g. /backups/chaupal-2026-11-28.tar.gz")
    ],
) -> None:
    """Back up the database and media into one tar.gz (consistent while Chaupal runs)."""
    from chaupal.backup import BackupError
    from chaupal.backup import backup as run_backup

    settings = Settings()
    try:
        with _progress() as progress:
            manifest = asyncio.run(run_backup(settings, path, _stepper(progress)))
    except BackupError as exc:
        console.print(f"[red]backup failed: {exc}[/red]")
        raise typer.Exit(1) from None
    _summary(f"backup written to {path}", manifest)


def restore(
    path: Annotated[Path, typer.Argument(help="An archive written by `chaupal backup`.")],
    force: bool = typer.Option(
        False, "--force", help="Overwrite a database that already has rows."
    ),
) -> None:
    """Restore a backup into the configured database and data folder (stop serve/worker first)."""
    from chaupal.backup import BackupError
    from chaupal.backup import restore as run_restore

    settings = Settings()
    try:
        with _progress() as progress:
            manifest = asyncio.run(
                run_restore(settings, path, force=force, step=_stepper(progress))
            )
    except BackupError as exc:
        console.print(f"[red]restore refused: {exc}[/red]")
        raise typer.Exit(1) from None
    _summary(f"restored from {path}", manifest)
