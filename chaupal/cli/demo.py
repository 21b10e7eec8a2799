"""`chaupal demo`: load the demo country (see chaupal.demo) with progress bars."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from chaupal import migrations
from chaupal.config import Settings
from chaupal.demo import load_demo

console = Console()


def demo(
    seed: int = typer.Option(42, help="Random seed: the same seed gives the same demo."),
    citizens: int = typer.Option(3000, min=0, help="How many citizens to generate."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing if any account exists."),
    intensity: float = typer.Option(1.0, min=0.0, help="Scale of replies, reblogs and favourites."),
) -> None:
    """Load demo data: government, cabinet, parties, press, citizens and six months of posts."""
    settings = Settings()
    if settings.is_sqlite and settings.auto_migrate:
        asyncio.run(migrations.upgrade(settings))
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    ) as progress:
        result = asyncio.run(
            load_demo(
                settings,
                seed=seed,
                citizens=citizens,
                if_empty=if_empty,
                intensity=intensity,
                progress=progress,
            )
        )
    if result.skipped:
        console.print("Accounts exist already; demo data not loaded (--if-empty).")
        return
    plural = {"reply": "replies", "reply_refused": "replies refused"}
    made = ", ".join(
        f"{n} {plural.get(kind, kind + 's')}" for kind, n in sorted(result.counts.items())
    )
    console.print(f"Demo loaded: {result.accounts} accounts, {result.follows} follows, {made}.")
    console.print(
        f"Admin: [bold]{result.admin_username}[/bold]  e-mail demo_admin@example.org  "
        f"password [bold]{result.admin_password}[/bold]"
    )
    console.print(
        f"Every other demo person (e.g. pm_ashok_rao, citizens, ministry staff) signs in with "
        f"the e-mail <username>@demo.example.org and password "
        f"[bold]{result.persona_password}[/bold]"
    )
    if result.gov is not None:
        from chaupal.demo.gov import DEMO_TOTP_SECRET

        console.print(
            "Institutions (PMO, ministries) have no password: their staff act for them, e.g. "
            "[bold]finance_owner[/bold], [bold]finance_editor[/bold], "
            "[bold]finance_analyst[/bold], [bold]pmo_editor[/bold]. Staff use two-factor; "
            f"the demo TOTP secret is [bold]{DEMO_TOTP_SECRET}[/bold] "
            "(add it to an authenticator app, or run `chaupal demo-code` for the current code)."
        )


def demo_code() -> None:
    """Print the current two-factor code of the demo staff accounts (demo data only)."""
    import pyotp

    from chaupal.demo.gov import DEMO_TOTP_SECRET

    console.print(pyotp.TOTP(DEMO_TOTP_SECRET).now())
