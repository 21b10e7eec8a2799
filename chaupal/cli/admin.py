"""`chaupal admin ...`: operator commands that go through the same actions as the API."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import typer
from rich.console import Console
from sqlalchemy import select

from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker
from chaupal.errors import ApiError

app = typer.Typer(help="Administer accounts.", no_args_is_help=True)
console = Console()


async def _in_session(settings: Settings, work: Any) -> Any:
    """Run `work(session)` in one transaction: commit at this edge, roll back on error."""
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            try:
                result = await work(session)
                await session.commit()
                return result
            except BaseException:
                await session.rollback()
                raise
    finally:
        await engine.dispose()


def generate_password() -> str:
    return secrets.token_urlsafe(15)


@app.command("create-account")
def create_account(
    username: str = typer.Argument(..., help="Local username (letters, digits, underscore)."),
    email: str = typer.Option(..., "--email", help="Sign-in e-mail address."),
    password: str | None = typer.Option(
        None, "--password", help="Password; one is generated and printed when omitted."
    ),
    role: str = typer.Option("user", "--role", help="admin, moderator or user."),
) -> None:
    """Create a local account with a confirmed, approved user."""
    from chaupal.actions.accounts import check_create_account

    settings = Settings()
    generated = password is None
    plain = password if password is not None else generate_password()

    async def work(session: Any) -> Any:
        account, _user = await check_create_account(
            session, settings, username=username, email=email, password=plain, role=role
        )
        return account

    try:
        account = asyncio.run(_in_session(settings, work))
    except ApiError as exc:
        console.print(f"[red]Could not create @{username}: {exc.message}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Created @{account.username} ({role}), id {account.id}.")
    if generated:
        console.print(f"Password: {plain}")


@app.command("suspend")
def suspend(username: str = typer.Argument(..., help="Local username to suspend.")) -> None:
    """Suspend a local account and revoke every token it holds."""
    from chaupal.actions import accounts as account_actions
    from chaupal.models import Account

    do_suspend = getattr(account_actions, "do_suspend_account", None)
    if do_suspend is None:
        console.print("[red]Suspension is not available in this build.[/red]")
        raise typer.Exit(2)
    settings = Settings()

    async def work(session: Any) -> bool:
        account = await session.scalar(
            select(Account).where(Account.username_lower == username.lower(), Account.domain == "")
        )
        if account is None:
            return False
        await do_suspend(session, account)
        return True

    if not asyncio.run(_in_session(settings, work)):
        console.print(f"[red]No local account @{username}.[/red]")
        raise typer.Exit(1)
    console.print(f"Suspended @{username}.")


from chaupal.cli import admin_gov  # noqa: F401  (registers the government commands on `app`)
