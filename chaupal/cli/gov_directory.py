"""`chaupal gov import | coverage | snapshot`: the coverage file, its report, and follower
snapshots by hand (the same actions as the API and the recurring job)."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from chaupal.cli.admin import _in_session
from chaupal.config import Settings
from chaupal.errors import ApiError

console = Console(soft_wrap=True)  # long paths and problems stay on one line
STATE_STYLE = {"verified": "green", "inactive": "yellow", "unverified": "yellow", "missing": "red"}


def import_file(
    path: Path = typer.Argument(..., help="Coverage YAML file (format: docs/government.md)."),  # noqa: B008
) -> None:
    """Import the entities a government is expected to have. Re-importing the same government
    updates it and removes entities no longer in the file; a file with any problem imports nothing."""
    from chaupal.actions.coverage import check_import_coverage

    settings = Settings()
    try:
        data = path.read_bytes()
    except OSError as exc:
        console.print(f"[red]cannot read {path}: {exc.strerror}[/red]")
        raise typer.Exit(1) from exc
    try:
        result = asyncio.run(_in_session(settings, lambda s: check_import_coverage(s, settings, data)))
    except ApiError as exc:
        problems = exc.details if isinstance(exc.details, list) else [exc.message]
        console.print(f"[red]{path}: not imported, {len(problems)} problem(s):[/red]")
        for problem in problems:
            console.print(f"  - {problem}", markup=False)
        raise typer.Exit(1) from exc
    console.print(
        f"government {result['government']!r}: {result['total']} entities "
        f"({result['created']} new, {result['updated']} updated, {result['unchanged']} unchanged, "
        f"{result['removed']} removed)"
    )


def coverage(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    government: str | None = typer.Option(None, "--government", help="Only this government key."),
) -> None:
    """Each expected entity: verified, unverified, inactive (no post for
    coverage_inactive_days) or missing."""
    from chaupal.gov.coverage import coverage_report

    settings = Settings()
    report: dict[str, Any] = asyncio.run(
        _in_session(settings, lambda s: coverage_report(s, settings, government))
    )
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    table = Table(title="Coverage")
    for col in ("key", "name", "state", "account", "matched by", "last post"):
        table.add_column(col)
    for e in report["entities"]:
        style = STATE_STYLE[e["state"]]
        table.add_row(
            e["key"], e["name"], f"[{style}]{e['state']}[/{style}]",
            f"@{e['acct']}" if e["acct"] else "", e["matched_by"] or "", (e["last_status_at"] or "")[:10],
        )
    console.print(table)
    s = report["summary"]
    console.print(
        f"{s['total']} expected: {s['verified']} verified, {s['unverified']} unverified, "
        f"{s['inactive']} inactive (no post in {report['inactive_after_days']} days), {s['missing']} missing"
    )


def snapshot(
    day: str | None = typer.Option(None, "--day", help="YYYY-MM-DD (default: today, UTC)."),
) -> None:
    """Record today's follower counts for leaderboards (idempotent: re-running updates them)."""
    from chaupal.actions.snapshots import do_record_follower_snapshots

    settings = Settings()
    try:
        when = date.fromisoformat(day) if day else None
    except ValueError as exc:
        console.print(f"[red]--day must be YYYY-MM-DD, not {day!r}[/red]")
        raise typer.Exit(2) from exc
    n = asyncio.run(_in_session(settings, lambda s: do_record_follower_snapshots(s, settings, when)))
    console.print(f"recorded {n} follower snapshots for {when or 'today'}")


def register(app: typer.Typer) -> None:
    """Add these commands to the `chaupal gov` group."""
    app.command("import")(import_file)
    app.command("coverage")(coverage)
    app.command("snapshot")(snapshot)
