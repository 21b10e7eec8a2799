"""`chaupal insights ...`: offline insight commands (sentiment classification; more to come)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from chaupal.insights.suggest.cli import suggest_command

app = typer.Typer(help="Insights: sentiment and other offline analyses.", no_args_is_help=True)

BATCH = 4096


@app.callback()
def insights() -> None:
    """Insights: sentiment and other offline analyses."""


@app.command("classify")
def classify(
    in_file: Annotated[
        Path | None,
        typer.Option("--in", exists=True, dir_okay=False, help="Text file, one post per line."),
    ] = None,
) -> None:
    """Print one sentiment label (negative, neutral, positive) per input line.

    Reads FILE, or standard input when --in is not given. An empty line is labelled neutral.
    """
    from chaupal.insights.sentiment import classify as classify_texts

    stream = in_file.open(encoding="utf-8") if in_file else sys.stdin
    try:
        batch: list[str] = []
        for line in stream:
            batch.append(line.rstrip("\r\n"))
            if len(batch) == BATCH:
                sys.stdout.write("".join(f"{label}\n" for label in classify_texts(batch)))
                batch = []
        if batch:
            sys.stdout.write("".join(f"{label}\n" for label in classify_texts(batch)))
    finally:
        if in_file:
            stream.close()


app.command("suggest")(suggest_command)


@app.command("advise")
def advise(
    username: str = typer.Argument(..., help="Username of the local account."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Evidence-based posting advice for an account (chaupal.insights.advice)."""
    from chaupal.insights.advice.cli import advise_command

    advise_command(username, as_json)


@app.command("rollup")
def rollup(
    from_: str = typer.Option(None, "--from", help="First UTC day (YYYY-MM-DD) to re-roll; default: every pending day."),
    to: str = typer.Option(None, "--to", help="Last UTC day to re-roll (default: today)."),
) -> None:
    """Roll up engagement analytics now (as the analytics_rollup job does), or re-roll days."""
    from chaupal.insights.analytics.cli import rollup_command

    rollup_command(from_, to)
