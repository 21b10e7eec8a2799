"""`chaupal admin create-institution | verify | unverify | link-office`: the operator's
government commands, through the same actions as the moderators' API (no moderator recorded)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import typer
from sqlalchemy import select

from chaupal.cli.admin import _in_session, app, console
from chaupal.config import Settings
from chaupal.errors import ApiError


async def _local(session: Any, username: str) -> Any:
    from chaupal.models import Account

    account = await session.scalar(
        select(Account).where(
            Account.username_lower == username.lstrip("@").lower(), Account.domain == ""
        )
    )
    if account is None:
        raise ApiError(404, f"no local account @{username.lstrip('@')}")
    return account


def _run(settings: Settings, work: Any, failure: str) -> Any:
    try:
        return asyncio.run(_in_session(settings, work))
    except ApiError as exc:
        console.print(f"[red]{failure}: {exc.message}[/red]")
        raise typer.Exit(1) from exc


@app.command("create-institution")
def create_institution(
    username: str = typer.Argument(..., help="Username of the institution account."),
    display_name: str = typer.Option("", "--display-name", help="Name shown on the profile."),
    category: str = typer.Option("other", "--category", help="ministry, department, office ..."),
    parent: str | None = typer.Option(None, "--parent", help="Username of the parent institution."),
    jurisdiction: str = typer.Option("", "--jurisdiction", help='"India", "Kerala" ...'),
    level: str = typer.Option("country", "--level", help="country, state, district or city."),
) -> None:
    """Create an institution account (no password: staff act for it)."""
    from chaupal.actions.gov_accounts import InstitutionFields, check_create_institution

    settings = Settings()

    async def work(session: Any) -> Any:
        parent_id = (await _local(session, parent)).id if parent else None
        fields = InstitutionFields(
            category=category, parent_account_id=parent_id, jurisdiction_level=level, jurisdiction=jurisdiction
        )
        return await check_create_institution(
            session, settings, username=username, display_name=display_name, fields=fields
        )

    account = _run(settings, work, f"Could not create @{username}")
    console.print(f"Created institution @{account.username}, id {account.id}.")


@app.command("verify")
def verify(
    username: str = typer.Argument(..., help="Local username to verify."),
    type_: str = typer.Option(..., "--type", help="government, official, organisation or notable."),
    evidence: str = typer.Option(..., "--evidence", help="What shows the account is genuine."),
) -> None:
    """Grant verification (recorded in the account's verification history)."""
    from chaupal.actions.gov_accounts import check_grant_verification

    settings = Settings()

    async def work(session: Any) -> None:
        account = await _local(session, username)
        await check_grant_verification(session, settings, account, type_, evidence, None)

    _run(settings, work, f"Could not verify @{username}")
    console.print(f"Verified @{username.lstrip('@')} ({type_}).")


@app.command("unverify")
def unverify(
    username: str = typer.Argument(..., help="Local username."),
    evidence: str = typer.Option("", "--evidence", help="Why verification is revoked."),
) -> None:
    """Revoke verification (recorded in the account's verification history)."""
    from chaupal.actions.gov_accounts import check_revoke_verification

    settings = Settings()

    async def work(session: Any) -> None:
        account = await _local(session, username)
        await check_revoke_verification(session, settings, account, evidence, None)

    _run(settings, work, f"Could not unverify @{username}")
    console.print(f"Revoked the verification of @{username.lstrip('@')}.")


@app.command("link-office")
def link_office(
    office: str = typer.Argument(..., help="Username of the office (an institution account)."),
    holder: str = typer.Argument(..., help="Username of the person who holds it."),
    title: str = typer.Option(..., "--title", help='"Prime Minister of India".'),
    role: str = typer.Option("official", "--role", help="head_of_state, head_of_government, minister ..."),
    since: str | None = typer.Option(None, "--since", help="YYYY-MM-DD; today when omitted."),
) -> None:
    """Start a tenure: HOLDER holds OFFICE; the office's previous holder of TITLE leaves that day."""
    from chaupal.actions.gov_accounts import check_add_office_holding

    settings = Settings()
    try:
        started = date.fromisoformat(since) if since else date.today()
    except ValueError as exc:
        console.print(f"[red]--since must be YYYY-MM-DD, not {since!r}[/red]")
        raise typer.Exit(1) from exc

    async def work(session: Any) -> None:
        await check_add_office_holding(
            session, settings, await _local(session, office), await _local(session, holder),
            title=title, role=role, started_on=started,
        )

    _run(settings, work, "Could not link the office")
    console.print(f"@{holder.lstrip('@')} holds @{office.lstrip('@')} ({title}) since {started}.")
