"""`chaupal gov ...`: operator commands for government presence (institution staff first)."""

from __future__ import annotations

import asyncio
from typing import Any

import typer
from rich.console import Console
from sqlalchemy import select

from chaupal.cli.admin import _in_session
from chaupal.config import Settings
from chaupal.errors import ApiError

app = typer.Typer(help="Government presence: institutions and their staff.", no_args_is_help=True)
console = Console()


@app.command("add-member")
def add_member(
    institution: str = typer.Argument(..., help="Username of the institution account."),
    username: str = typer.Argument(..., help="Username of the local user joining its staff."),
    role: str = typer.Option("editor", "--role", help="owner, editor or analyst."),
) -> None:
    """Add a staff member to an institution (the way to give it its first owner)."""
    from chaupal.actions.members import access_institution, check_add_member
    from chaupal.models import Account

    settings = Settings()

    async def work(session: Any) -> str:
        account = await session.scalar(
            select(Account).where(
                Account.username_lower == institution.lstrip("@").lower(), Account.domain == ""
            )
        )
        if account is None:
            raise ApiError(404, f"No local account @{institution}")
        inst = await access_institution(session, account.id)
        _, member = await check_add_member(session, inst, None, role=role, username=username)
        return f"@{member.username} is now {role} of @{inst.username}."

    try:
        message = asyncio.run(_in_session(settings, work))
    except ApiError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    console.print(message)


from chaupal.cli import gov_directory  # import, coverage, snapshot

gov_directory.register(app)
