"""`chaupal insights advise USERNAME [--json]`: the advice report on the terminal."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from chaupal.cli.admin import _in_session
from chaupal.config import Settings
from chaupal.errors import ApiError

console = Console()


def advise_command(username: str, as_json: bool) -> None:
    from chaupal.insights.advice import advise
    from chaupal.models import Account

    settings = Settings()

    async def work(session: Any) -> dict[str, Any]:
        account = await session.scalar(
            select(Account).where(
                Account.username_lower == username.lstrip("@").lower(), Account.domain == ""
            )
        )
        if account is None:
            raise ApiError(404, f"No local account @{username.lstrip('@')}")
        return await advise(session, settings, account)

    try:
        report = asyncio.run(_in_session(settings, work))
    except ApiError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print_report(username, report)


def print_report(username: str, report: dict[str, Any]) -> None:
    method = report["method"]
    console.print(
        f"Advice for @{username.lstrip('@')}: {report['posts_analysed']} posts "
        f"({', '.join(f'{n} {s}' for s, n in report['sources'].items()) or 'none'}), "
        f"times in {method['timezone']}, Holm-corrected over {method['comparisons']} comparisons."
    )
    table = Table("factor", "advice", "engagement ratio", "95% interval", "posts")
    for piece in report["advice"]:
        if piece["status"] == "advice":
            table.add_row(
                piece["label"], piece["choice"], f"{piece['ratio']:.2f}×",
                f"{piece['ci_low']:.2f}–{piece['ci_high']:.2f}",
                f"{piece['posts']} of {piece['posts_compared']}",
            )
        else:
            table.add_row(piece["label"], "[dim]withheld[/dim]", "", "", f"[dim]{piece['reason']}[/dim]")
    console.print(table)
    a = report["answering"]
    share = f"{a['share_answered']:.0%}" if a["share_answered"] is not None else "n/a"
    median = f"{a['median_response_minutes']:.0f} min" if a["median_response_minutes"] is not None else "n/a"
    console.print(
        f"Answering citizens: {a['answered']} of {a['questions']} questions answered ({share}); "
        f"median response time {median}."
    )
