"""Candidate generation and per-candidate features for the learned blend.

Candidates: the union of every signal's best nodes plus everyone who follows the user, cut to a
fixed number per user. Features: each signal's value relative to the user's best, its rank, and
priors (popularity, follow-back).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chaupal.insights.suggest import scorers
from chaupal.insights.suggest.rank import exclude_known
from chaupal.insights.suggest.scorers import GraphOps

SIGNALS = ("ppr", "ppr_both_ways", "co_followed", "two_hop", "followers_follow", "adamic_adar")
FEATURES = (
    *(f"{name}_rel" for name in SIGNALS),
    *(f"{name}_rank" for name in SIGNALS),
    "follows_you",
    "follows_you_x_user_reciprocity",
    "log_followers",
    "log_following",
    "candidate_reciprocity",
)


@dataclass(frozen=True)
class FeatureConfig:
    candidates: int = 200
    ppr_restart: float = 0.3
    ppr_iterations: int = 20


def signals(ops: GraphOps, users: np.ndarray, config: FeatureConfig) -> dict[str, np.ndarray]:
    """Every graph signal for a batch of users, self and followed nodes set to -inf."""
    raw = {
        "ppr": scorers.personalized_pagerank(
            ops, users, restart=config.ppr_restart, iterations=config.ppr_iterations
        ),
        "ppr_both_ways": scorers.personalized_pagerank(
            ops, users, config.ppr_restart, config.ppr_iterations, both_ways=True
        ),
        "co_followed": scorers.co_followed(ops, users),
        "two_hop": scorers.two_hop(ops, users),
        "followers_follow": scorers.followers_follow(ops, users),
        "adamic_adar": scorers.adamic_adar(ops, users),
    }
    return {name: exclude_known(ops, users, value) for name, value in raw.items()}


def top_reciprocal_ranks(values: np.ndarray, depth: int) -> np.ndarray:
    """1/rank for each row's `depth` best finite entries with a positive value, 0 elsewhere."""
    b, n = values.shape
    depth = min(depth, n)
    top = np.argpartition(-values, depth - 1, axis=1)[:, :depth] if depth < n else None
    if top is None:
        top = np.tile(np.arange(n), (b, 1))
    picked = np.take_along_axis(values, top, axis=1)
    order = np.lexsort((top, -picked), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    picked = np.take_along_axis(picked, order, axis=1)
    ranks = np.where(np.isfinite(picked) & (picked > 0), 1.0 / np.arange(1, depth + 1), 0.0)
    out = np.zeros((b, n))
    np.put_along_axis(out, top, ranks, axis=1)
    return out


def user_reciprocity(ops: GraphOps) -> np.ndarray:
    """Share of each node's followers it follows back."""
    mutual = np.asarray(ops.adj.multiply(ops.adj_t).sum(axis=1)).ravel()
    return mutual / np.maximum(ops.in_deg, 1.0)


def candidates_and_features(
    ops: GraphOps, users: np.ndarray, config: FeatureConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (candidates b x C node rows, valid b x C mask, features b x C x F)."""
    sig = signals(ops, users, config)
    follows_you = exclude_known(ops, users, scorers.follows_you(ops, users))
    b, n = follows_you.shape
    c = min(config.candidates, n)
    popular = exclude_known(ops, users, scorers.popularity(ops, users))
    reciprocal = {name: top_reciprocal_ranks(values, c) for name, values in sig.items()}
    # Best reciprocal rank over signals (popularity too, so cold users still get candidates).
    union = np.maximum.reduce([follows_you, top_reciprocal_ranks(popular, c), *reciprocal.values()])
    union = np.where(np.isfinite(follows_you), union, -np.inf)
    if c < n:
        cand = np.argpartition(-union, c - 1, axis=1)[:, :c]
    else:
        cand = np.tile(np.arange(n), (b, 1))
    valid = np.isfinite(np.take_along_axis(union, cand, axis=1))

    columns: list[np.ndarray] = []
    ranks: list[np.ndarray] = []
    floor = 1.0 / (2 * c)  # below any kept rank
    for name in SIGNALS:
        values = np.where(np.isfinite(sig[name]), sig[name], 0.0)
        picked = np.take_along_axis(values, cand, axis=1)
        best = values.max(axis=1, keepdims=True)
        columns.append(np.divide(picked, best, out=np.zeros_like(picked), where=best > 0))
        rr = np.take_along_axis(reciprocal[name], cand, axis=1)
        ranks.append(np.log(np.maximum(rr, floor)))
    back = np.take_along_axis(np.where(np.isfinite(follows_you), follows_you, 0.0), cand, axis=1)
    recip = user_reciprocity(ops)
    columns += ranks
    columns += [
        back,
        back * recip[users][:, None],
        np.log1p(ops.in_deg[cand]),
        np.log1p(ops.out_deg[cand]),
        recip[cand],
    ]
    feats = np.stack(columns, axis=2)
    feats[~valid] = 0.0
    return cand, valid, feats
