"""Offline evaluation of who-to-follow: recall@10 and MRR on held-out follows of real graphs.

For each graph in ../shared/data/graphs/, 10% of the follows of every user with >= 5 follows are
hidden (seed 0); every method sees only the rest. OURS learns its blend on a validation split
carved from those training follows (seed 1), never on the hidden ones. Differences against the
PPR baselines come with a paired bootstrap 95% interval over users.

    .venv/bin/python benchmarks/bench_suggest.py [--data ../shared/data/graphs] [--svg docs/img/suggest.svg]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from chaupal.insights.suggest import scorers
from chaupal.insights.suggest.core import Suggester, fit_blend
from chaupal.insights.suggest.evaluate import Scores, evaluate, paired_bootstrap, split_follows
from chaupal.insights.suggest.graph import read_follows
from chaupal.insights.suggest.rank import top_k

GRAPHS = ("hershey", "verizon")
DEPTH = 100  # ranked list length; MRR counts the first hit within it
# Restart probability of the PPR baselines: 0.3 had the best (or within 0.004 of the best)
# recall@10 of 0.15 / 0.3 / 0.5 on both graphs for both walks, measured on the holdout itself,
# which favours the baselines.
PPR_RESTART = 0.3
METHODS = ("popularity", "Adamic-Adar", "PPR", "PPR both ways", "SALSA", "OURS")


def run_graph(path: Path, console: Console) -> dict[str, tuple[Scores, float]]:
    graph = read_follows(path)
    holdout = split_follows(graph, fraction=0.1, min_follows=5, seed=0)
    ops = scorers.GraphOps.build(holdout.train)
    console.print(
        f"[bold]{path.stem}[/bold]: {graph.n:,} nodes, {graph.n_edges:,} edges, "
        f"{len(holdout.users):,} users evaluated, "
        f"{sum(len(h) for h in holdout.held):,} follows hidden"
    )

    def baseline(score: Callable[[np.ndarray], np.ndarray]) -> Callable:
        return lambda users: top_k(ops, users, score(users), DEPTH)

    def salsa(users: np.ndarray) -> np.ndarray:
        ppr = scorers.personalized_pagerank(ops, users, restart=PPR_RESTART)
        return scorers.salsa(ops, users, ppr)

    results: dict[str, tuple[Scores, float]] = {}
    rankers: dict[str, Callable] = {
        "popularity": baseline(lambda u: scorers.popularity(ops, u)),
        "Adamic-Adar": baseline(lambda u: scorers.adamic_adar(ops, u)),
        "PPR": baseline(lambda u: scorers.personalized_pagerank(ops, u, restart=PPR_RESTART)),
        "PPR both ways": baseline(
            lambda u: scorers.personalized_pagerank(ops, u, restart=PPR_RESTART, both_ways=True)
        ),
        "SALSA": baseline(salsa),
    }
    for name, ranker in rankers.items():
        started = time.perf_counter()
        results[name] = (evaluate(ranker, holdout), time.perf_counter() - started)

    started = time.perf_counter()
    model = fit_blend(holdout.train, seed=1, max_users=None)
    suggester = Suggester(holdout.train, model)
    scores = evaluate(lambda users: suggester.rank_rows(users, DEPTH), holdout)
    results["OURS"] = (scores, time.perf_counter() - started)
    weights = ", ".join(f"{k} {v:+.2f}" for k, v in model.describe().items() if abs(v) >= 0.1)
    console.print(f"  learned weights (standardised, |w| >= 0.1): {weights}")
    return results


def write_svg(path: Path, results: dict[str, dict[str, tuple[Scores, float]]]) -> None:
    """Grouped bars: per graph and metric, one bar per method."""
    colours = ("#9e9e9e", "#8d6e63", "#42a5f5", "#1565c0", "#7e57c2", "#e65100")
    bar, gap, group_gap, height, top, left = 16, 3, 28, 220, 40, 50
    groups = [(g, m) for g in results for m in ("recall@10", "MRR")]
    group_w = len(METHODS) * (bar + gap)
    width = max(left + len(groups) * (group_w + group_gap) + 20, left + len(METHODS) * 110)
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{top + height + 90}" font-family="sans-serif" font-size="11">'
        ),
        (
            f'<text x="{left}" y="20" font-size="14" font-weight="bold">'
            "Who-to-follow: recall@10 and MRR on 10% held-out follows</text>"
        ),
    ]
    parts.insert(1, f'<rect width="{width}" height="{top + height + 90}" fill="white"/>')
    for tick in range(0, 11, 2):
        y = top + height - tick / 10 * height
        parts.append(f'<line x1="{left - 4}" x2="{width - 20}" y1="{y}" y2="{y}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 8}" y="{y + 4}" text-anchor="end">{tick / 10:.1f}</text>')
    for gi, (graph, metric) in enumerate(groups):
        x0 = left + gi * (group_w + group_gap)
        for mi, method in enumerate(METHODS):
            scores = results[graph][method][0]
            value = scores.recall if metric == "recall@10" else scores.mrr
            h = value * height
            x = x0 + mi * (bar + gap)
            parts.append(
                f'<rect x="{x}" y="{top + height - h:.1f}" width="{bar}" height="{h:.1f}" '
                f'fill="{colours[mi]}"><title>{method} {graph} {metric} {value:.3f}</title></rect>'
            )
            parts.append(
                f'<text x="{x + bar / 2}" y="{top + height - h - 3:.1f}" text-anchor="middle" '
                f'font-size="8">{value:.2f}</text>'
            )
        parts.append(
            f'<text x="{x0 + group_w / 2}" y="{top + height + 16}" text-anchor="middle">'
            f"{graph} {metric}</text>"
        )
    ly = top + height + 40
    for mi, method in enumerate(METHODS):
        lx = left + mi * 110
        parts.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{colours[mi]}"/>')
        parts.append(f'<text x="{lx + 16}" y="{ly + 10}">{method}</text>')
    parts.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parent.parent
    parser.add_argument("--data", type=Path, default=here.parent / "shared" / "data" / "graphs")
    parser.add_argument("--svg", type=Path, default=here / "docs" / "img" / "suggest.svg")
    args = parser.parse_args()
    console = Console(width=130)
    console.print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()},"
        f" numpy {np.__version__}"
    )
    started = time.perf_counter()
    results = {g: run_graph(args.data / f"{g}-follows.tsv", console) for g in GRAPHS}
    table = Table(title="Who-to-follow, 10% of follows held out (users with >= 5 follows)")
    table.add_column("method")
    for graph in GRAPHS:
        table.add_column(f"{graph} recall@10", justify="right")
        table.add_column(f"{graph} MRR", justify="right")
        table.add_column(f"{graph} s", justify="right")
    for method in METHODS:
        row = [method]
        for graph in GRAPHS:
            scores, seconds = results[graph][method]
            row += [f"{scores.recall:.4f}", f"{scores.mrr:.4f}", f"{seconds:.1f}"]
        table.add_row(*row)
    console.print(table)
    for graph in GRAPHS:
        ours = results[graph]["OURS"][0]
        for baseline in ("PPR", "PPR both ways"):
            ppr = results[graph][baseline][0]
            r = paired_bootstrap(ours.per_user_recall, ppr.per_user_recall)
            m = paired_bootstrap(ours.per_user_rr, ppr.per_user_rr)
            console.print(
                f"{graph}: OURS vs {baseline}: recall@10 {ours.recall / ppr.recall - 1:+.1%} "
                f"({r[0]:+.4f}, 95% CI {r[1]:+.4f} to {r[2]:+.4f}), "
                f"MRR {ours.mrr / ppr.mrr - 1:+.1%} ({m[0]:+.4f}, 95% CI {m[1]:+.4f} to {m[2]:+.4f})"
            )
    write_svg(args.svg, results)
    console.print(f"wrote {args.svg}; total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
