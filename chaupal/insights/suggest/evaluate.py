"""Offline evaluation: seeded per-user holdout of follows, recall@k and MRR of ranked lists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from chaupal.insights.suggest.graph import FollowGraph


@dataclass(frozen=True)
class Holdout:
    """`train` keeps every node; `held[u]` are the row numbers of u's hidden follows."""

    train: FollowGraph
    users: np.ndarray
    held: tuple[np.ndarray, ...]


def split_follows(
    graph: FollowGraph, fraction: float = 0.1, min_follows: int = 5, seed: int = 0
) -> Holdout:
    """Hide `fraction` (at least one) of the follows of every user who follows `min_follows`+."""
    rng = np.random.default_rng(seed)
    adj = graph.adj
    keep = np.ones(adj.nnz, dtype=bool)
    users: list[int] = []
    held: list[np.ndarray] = []
    for u in range(graph.n):
        start, end = adj.indptr[u], adj.indptr[u + 1]
        degree = end - start
        if degree < min_follows:
            continue
        count = max(1, round(fraction * degree))
        picked = start + rng.choice(degree, size=count, replace=False)
        keep[picked] = False
        users.append(u)
        held.append(np.sort(adj.indices[picked]))
    rows = np.repeat(np.arange(graph.n), np.diff(adj.indptr))
    train = sp.csr_matrix((adj.data[keep], (rows[keep], adj.indices[keep])), shape=adj.shape)
    return Holdout(
        train=graph.with_adj(train), users=np.asarray(users, dtype=np.int64), held=tuple(held)
    )


@dataclass(frozen=True)
class Scores:
    recall: float
    mrr: float
    users: int
    per_user_recall: np.ndarray
    per_user_rr: np.ndarray


def measure(ranked: Sequence[np.ndarray], held: Sequence[np.ndarray], k: int = 10) -> Scores:
    """Recall@k (share of each user's hidden follows in its top k, averaged over users) and MRR
    (1 / rank of the first hidden follow in the whole ranked list, 0 when absent)."""
    recalls = np.empty(len(held))
    reciprocal = np.empty(len(held))
    for i, (items, truth) in enumerate(zip(ranked, held, strict=True)):
        hit = np.isin(items, truth)
        recalls[i] = hit[:k].sum() / len(truth)
        first = np.flatnonzero(hit)
        reciprocal[i] = 1.0 / (first[0] + 1) if len(first) else 0.0
    return Scores(
        recall=float(recalls.mean()),
        mrr=float(reciprocal.mean()),
        users=len(held),
        per_user_recall=recalls,
        per_user_rr=reciprocal,
    )


def paired_bootstrap(
    a: np.ndarray, b: np.ndarray, rounds: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of per-user `a - b` and its 95% interval, resampling users with replacement."""
    rng = np.random.default_rng(seed)
    diff = a - b
    means = np.array([diff[rng.integers(0, len(diff), len(diff))].mean() for _ in range(rounds)])
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diff.mean()), float(low), float(high)


def evaluate(
    rank: Callable[[np.ndarray], list[np.ndarray]],
    holdout: Holdout,
    k: int = 10,
    batch: int = 256,
) -> Scores:
    """Run `rank(users) -> ranked lists` over the holdout users in batches and measure."""
    ranked: list[np.ndarray] = []
    for start in range(0, len(holdout.users), batch):
        ranked.extend(rank(holdout.users[start : start + batch]))
    return measure(ranked, holdout.held, k=k)
