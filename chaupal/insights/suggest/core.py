"""Who-to-follow: fit the blend on a graph's own follows, then rank candidates for any user.

`suggest(edges, users, k)` is the pure entry point the CLI (and later the API) calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from chaupal.insights.suggest.blend import BlendModel, fit_listwise
from chaupal.insights.suggest.evaluate import split_follows
from chaupal.insights.suggest.features import FEATURES, FeatureConfig, candidates_and_features
from chaupal.insights.suggest.graph import FollowGraph
from chaupal.insights.suggest.rank import top_k
from chaupal.insights.suggest.scorers import GraphOps, popularity

# Used when a graph is too small to learn from: follow-back, then co-followed and PPR ranks.
_PRIOR = {"co_followed_rank": 1.0, "ppr_rank": 0.5, "adamic_adar_rank": 0.2, "follows_you": 2.0}
DEFAULT_MODEL = BlendModel(
    weights=np.array([_PRIOR.get(name, 0.0) for name in FEATURES]),
    mean=np.zeros(len(FEATURES)),
    scale=np.ones(len(FEATURES)),
)
MIN_TRAINING_USERS = 20
BATCH = 256


def features_for(
    graph: FollowGraph, users: np.ndarray, config: FeatureConfig, batch: int = BATCH
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidates, validity mask and features for many users, computed batch by batch."""
    ops = GraphOps.build(graph)
    parts = [
        candidates_and_features(ops, users[start : start + batch], config)
        for start in range(0, len(users), batch)
    ]
    if not parts:
        f = len(FEATURES)
        return np.empty((0, 0), int), np.empty((0, 0), bool), np.empty((0, 0, f))
    return tuple(np.concatenate(p) for p in zip(*parts, strict=True))  # type: ignore[return-value]


def fit_blend(
    graph: FollowGraph,
    config: FeatureConfig | None = None,
    seed: int = 0,
    fraction: float = 0.1,
    min_follows: int = 5,
    max_users: int | None = 2000,
) -> BlendModel:
    """Learn blend weights by hiding `fraction` of each user's follows in `graph` and ranking them
    back (on at most `max_users` of them). Falls back to `DEFAULT_MODEL` when too few users have
    enough follows."""
    config = config or FeatureConfig()
    split = split_follows(graph, fraction=fraction, min_follows=min_follows, seed=seed)
    if len(split.users) < MIN_TRAINING_USERS:
        return DEFAULT_MODEL
    picked = np.arange(len(split.users))
    if max_users is not None and len(picked) > max_users:
        picked = np.sort(np.random.default_rng(seed).choice(picked, max_users, replace=False))
    cand, valid, feats = features_for(split.train, split.users[picked], config)
    held = [split.held[i] for i in picked]
    labels = np.stack([np.isin(row, truth) for row, truth in zip(cand, held, strict=True)])
    if (labels & valid).any(axis=1).sum() < MIN_TRAINING_USERS:
        return DEFAULT_MODEL
    return fit_listwise(feats, valid, labels)


@dataclass
class Suggester:
    """Ranks follow suggestions on one graph with one blend model."""

    graph: FollowGraph
    model: BlendModel = DEFAULT_MODEL
    config: FeatureConfig = field(default_factory=FeatureConfig)

    def __post_init__(self) -> None:
        self.ops = GraphOps.build(self.graph)

    def rank_rows(self, users: np.ndarray, k: int) -> list[np.ndarray]:
        """Top `k` node rows per user row: blended candidates first, then popular accounts."""
        out: list[np.ndarray] = []
        for start in range(0, len(users), BATCH):
            rows = users[start : start + BATCH]
            cand, valid, feats = candidates_and_features(self.ops, rows, self.config)
            z = self.model.score(feats, valid)
            fill = top_k(self.ops, rows, popularity(self.ops, rows), k)
            pop = self.ops.in_deg
            for i in range(len(rows)):
                keep = np.isfinite(z[i])
                c, s = cand[i][keep], z[i][keep]
                ranked = c[np.lexsort((c, -pop[c], -s))][:k]
                if len(ranked) < k:
                    extra = fill[i][~np.isin(fill[i], ranked)]
                    ranked = np.concatenate([ranked, extra])[:k]
                out.append(ranked)
        return out

    def popular(self, k: int) -> list[str]:
        """The `k` most-followed accounts: what a user the graph does not know yet gets."""
        order = np.lexsort((np.arange(self.graph.n), -self.ops.in_deg))
        return [self.graph.ids[j] for j in order[:k] if self.ops.in_deg[j] > 0]

    def suggest(self, user_ids: Sequence[str], k: int) -> dict[str, list[str]]:
        """Suggested account ids per user id; users absent from the graph get popular accounts."""
        known = [u for u in dict.fromkeys(user_ids) if u in self.graph.index]
        rows = np.array([self.graph.index[u] for u in known], dtype=np.int64)
        result = {
            u: [self.graph.ids[j] for j in r]
            for u, r in zip(known, self.rank_rows(rows, k), strict=True)
        }
        popular = self.popular(k)
        return {u: result.get(u, popular) for u in user_ids}


def suggest(
    edges: Iterable[tuple[str, str]], user_ids: Sequence[str], k: int = 10, seed: int = 0
) -> dict[str, list[str]]:
    """Fit on `edges` (follower, followed) and return `k` suggestions for each user id."""
    graph = FollowGraph.from_edges(edges)
    model = fit_blend(graph, seed=seed)
    return Suggester(graph, model).suggest(user_ids, k)
