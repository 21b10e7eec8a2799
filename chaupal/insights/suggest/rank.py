"""Turn a (users x nodes) score array into top-k lists that never hold self or followed nodes.

Ties break by node popularity, then row number, so results are deterministic.
"""

from __future__ import annotations

import numpy as np

from chaupal.insights.suggest.scorers import GraphOps


def exclude_known(ops: GraphOps, users: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Set self and already-followed nodes to -inf (in place) and return the array."""
    rows = ops.adj[users]
    r = np.repeat(np.arange(len(users)), np.diff(rows.indptr))
    scores[r, rows.indices] = -np.inf
    scores[np.arange(len(users)), users] = -np.inf
    return scores


def top_k(ops: GraphOps, users: np.ndarray, scores: np.ndarray, k: int) -> list[np.ndarray]:
    """Best `k` eligible nodes per user, best first; fewer when fewer nodes are eligible."""
    scores = exclude_known(ops, users, np.array(scores, dtype=np.float64))
    n = scores.shape[1]
    k = max(0, min(k, n))
    if k == 0:
        return [np.empty(0, dtype=np.int64) for _ in users]
    pop = ops.in_deg / (ops.in_deg.max() + 1.0)
    out: list[np.ndarray] = []
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < n else None
    for row in range(len(users)):
        s = scores[row]
        if part is not None:
            kth = s[part[row]].min()
            cand = np.flatnonzero(s >= kth)
        else:
            cand = np.arange(n)
        cand = cand[np.isfinite(s[cand])]
        order = np.lexsort((cand, -pop[cand], -s[cand]))  # score, then popularity, then row
        out.append(cand[order][:k])
    return out
