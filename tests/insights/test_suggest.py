"""Who-to-follow: planted structure is recovered, suggestions are eligible and deterministic,
and the `suggest` command keeps its contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from chaupal.insights.suggest.core import Suggester, fit_blend, suggest
from chaupal.insights.suggest.evaluate import evaluate, split_follows
from chaupal.insights.suggest.graph import FollowGraph, parse_follows
from chaupal.insights.suggest.rank import top_k
from chaupal.insights.suggest.scorers import GraphOps, popularity


def planted_graph(seed: int = 7, groups: int = 8, size: int = 40) -> list[tuple[str, str]]:
    """Communities whose members follow each other (often back), plus a few accounts that
    everyone follows a little: popularity alone sees only those."""
    rng = np.random.default_rng(seed)
    edges: set[tuple[int, int]] = set()
    n = groups * size
    stars = list(range(n, n + 5))
    for g in range(groups):
        members = np.arange(g * size, (g + 1) * size)
        for u in members:
            for v in rng.choice(members, size=8, replace=False):
                if v != u:
                    edges.add((int(u), int(v)))
                    if rng.random() < 0.5:
                        edges.add((int(v), int(u)))
            for star in stars:
                if rng.random() < 0.3:
                    edges.add((int(u), star))
    return [(f"u{a}", f"u{b}") for a, b in sorted(edges)]


def test_suggest__planted_communities__recovers_held_out_follows_better_than_popularity() -> None:
    graph = FollowGraph.from_edges(planted_graph())
    holdout = split_follows(graph, fraction=0.1, min_follows=5, seed=0)
    ops = GraphOps.build(holdout.train)

    pop = evaluate(lambda u: top_k(ops, u, popularity(ops, u), 10), holdout)
    ours = evaluate(
        lambda u: Suggester(holdout.train, fit_blend(holdout.train, seed=1)).rank_rows(u, 10),
        holdout,
        batch=len(holdout.users),
    )

    assert ours.recall > pop.recall + 0.2
    assert ours.mrr > pop.mrr


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_suggest__never_self_nor_already_followed(seed: int) -> None:
    rng = np.random.default_rng(seed)
    edges = {(f"n{a}", f"n{b}") for a, b in rng.integers(0, 60, size=(400, 2)) if a != b}
    users = sorted({a for a, _ in edges})
    result = suggest(sorted(edges), users, k=15, seed=seed)
    follows: dict[str, set[str]] = {}
    for a, b in edges:
        follows.setdefault(a, set()).add(b)
    for user in users:
        picks = result[user]
        assert user not in picks
        assert not follows[user] & set(picks)
        assert len(picks) == len(set(picks)) == 15


def test_suggest__k_above_eligible_nodes__returns_every_eligible_node_once() -> None:
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]
    result = suggest(edges, ["a", "d", "newcomer"], k=10)
    assert sorted(result["a"]) == ["c", "d"]
    assert sorted(result["d"]) == ["b", "c"]
    assert result["newcomer"] == ["a", "b", "c"]  # unknown user: followed accounts, most first


def test_suggest__same_seed__same_suggestions() -> None:
    edges = planted_graph(seed=3)
    users = [f"u{i}" for i in range(0, 320, 7)]
    assert suggest(edges, users, k=10, seed=5) == suggest(list(reversed(edges)), users, 10, 5)


def test_split_follows__hides_a_tenth_of_each_eligible_users_follows() -> None:
    graph = FollowGraph.from_edges(planted_graph())
    holdout = split_follows(graph, fraction=0.1, min_follows=5, seed=0)
    assert len(holdout.users) > 0
    for user, held in zip(holdout.users, holdout.held, strict=True):
        degree = len(graph.following(user))
        assert len(held) == max(1, round(0.1 * degree))
        assert set(held) <= set(graph.following(user))
        assert not set(held) & set(holdout.train.following(user))
    assert holdout.train.n_edges == graph.n_edges - sum(len(h) for h in holdout.held)
    again = split_follows(graph, fraction=0.1, min_follows=5, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(holdout.held, again.held, strict=True))


def test_parse_follows__header_row_is_optional() -> None:
    body = ["1\t2\n", "2\t3\n", "\n"]
    assert parse_follows(["follower\tfollowed\n", *body]) == parse_follows(body)
    assert parse_follows(body) == [("1", "2"), ("2", "3")]
    with pytest.raises(ValueError, match="line 1"):
        parse_follows(["1 2\n"])


@pytest.fixture
def cli() -> typer.Typer:
    """The real `chaupal` command line; commands below run as `chaupal insights suggest ...`."""
    from chaupal.cli import app

    return app


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def test_suggest_cli__prints_user_tab_k_ids__with_or_without_header(
    cli: typer.Typer, tmp_path: Path
) -> None:
    edges = planted_graph(seed=1, groups=3, size=20)
    rows = [f"{a}\t{b}" for a, b in edges]
    plain = _write(tmp_path / "plain.tsv", rows)
    headed = _write(tmp_path / "headed.tsv", ["follower\tfollowed", *rows])
    users = _write(tmp_path / "users.txt", ["u0", "u5", "", "u41", "stranger"])
    runner = CliRunner()

    outputs = []
    for follows in (plain, headed):
        args = ["insights", "suggest", "--follows", str(follows), "--users", str(users), "--k", "4"]
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert outputs[0] == outputs[1]

    lines = outputs[0].splitlines()
    assert [line.split("\t")[0] for line in lines] == ["u0", "u5", "u41", "stranger"]
    followed = {(a, b) for a, b in edges}
    for line in lines:
        user, ids = line.split("\t")
        picks = ids.split(",")
        assert len(picks) == 4
        assert user not in picks
        assert not any((user, p) in followed for p in picks)


def test_suggest_cli__k_option__sets_list_length(cli: typer.Typer, tmp_path: Path) -> None:
    follows = _write(tmp_path / "f.tsv", [f"{a}\t{b}" for a, b in planted_graph(1, 3, 20)])
    users = _write(tmp_path / "users.txt", ["u1", "u2"])
    result = CliRunner().invoke(
        cli, ["insights", "suggest", "--follows", str(follows), "--users", str(users), "--k", "7"]
    )
    assert result.exit_code == 0, result.output
    assert [len(line.split("\t")[1].split(",")) for line in result.output.splitlines()] == [7, 7]


def test_suggest_cli__malformed_follows__usage_error(cli: typer.Typer, tmp_path: Path) -> None:
    follows = _write(tmp_path / "f.tsv", ["1 2"])
    users = _write(tmp_path / "users.txt", ["1"])
    result = CliRunner().invoke(
        cli, ["insights", "suggest", "--follows", str(follows), "--users", str(users)]
    )
    assert result.exit_code == 2
