"""`chaupal insights suggest`: who-to-follow over a follows TSV, one `user<TAB>ids` line per user."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def read_users(path: Path) -> list[str]:
    """One user id per line; blank lines are skipped."""
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip()]


def suggest_command(
    follows: Annotated[
        Path,
        typer.Option(
            "--follows", exists=True, dir_okay=False, help="TSV of follower<TAB>followed."
        ),
    ],
    users: Annotated[
        Path, typer.Option("--users", exists=True, dir_okay=False, help="One user id per line.")
    ],
    k: Annotated[int, typer.Option("--k", min=1, help="Suggestions per user.")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split the blend learns on.")] = 0,
) -> None:
    """Print `user<TAB>id1,id2,...` per user: accounts to follow, never itself or already followed."""
    from chaupal.insights.suggest.core import suggest  # numpy/scipy only when the command runs
    from chaupal.insights.suggest.graph import parse_follows

    with open(follows, encoding="utf-8") as handle:
        try:
            edges = parse_follows(handle)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--follows") from exc
    wanted = read_users(users)
    result = suggest(edges, list(dict.fromkeys(wanted)), k=k, seed=seed)
    for user in wanted:
        typer.echo(f"{user}\t{','.join(result[user])}")
