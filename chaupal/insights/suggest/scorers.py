"""Graph scores for a batch of users against every node: popularity, Adamic-Adar, PPR, SALSA.

Each scorer takes a `FollowGraph` and row numbers of users and returns a dense (users x nodes)
array; higher is better. Masking self and already-followed nodes is the ranker's job.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from chaupal.insights.suggest.graph import FollowGraph


def _inv(values: np.ndarray) -> np.ndarray:
    out = np.zeros_like(values, dtype=np.float64)
    np.divide(1.0, values, out=out, where=values > 0)
    return out


@dataclass(frozen=True)
class GraphOps:
    """Matrices derived once per graph and shared by every batch."""

    graph: FollowGraph
    adj: sp.csr_matrix  # i follows j
    adj_t: sp.csr_matrix  # j is followed by i
    und: sp.csr_matrix  # symmetrised (follow in either direction)
    walk_t: sp.csr_matrix  # transpose of the row-normalised follow matrix (random walk)
    both_walk_t: sp.csr_matrix  # the same for walks along edges in either direction
    back_t: sp.csr_matrix  # transpose of the row-normalised followed-by matrix
    in_deg: np.ndarray
    out_deg: np.ndarray

    @classmethod
    def build(cls, graph: FollowGraph) -> GraphOps:
        adj = graph.adj.astype(np.float64).tocsr()
        adj_t = adj.T.tocsr()
        und = ((adj + adj_t) > 0).astype(np.float64).tocsr()
        out_deg = graph.out_degree()
        in_deg = graph.in_degree()
        walk = sp.diags(_inv(out_deg)) @ adj
        both = sp.diags(_inv(np.diff(und.indptr).astype(np.float64))) @ und
        back = sp.diags(_inv(in_deg)) @ adj_t
        return cls(
            graph=graph,
            adj=adj,
            adj_t=adj_t,
            und=und,
            walk_t=walk.T.tocsr(),
            both_walk_t=both.T.tocsr(),
            back_t=back.T.tocsr(),
            in_deg=in_deg,
            out_deg=out_deg,
        )


def popularity(ops: GraphOps, users: np.ndarray) -> np.ndarray:
    """Follower count, the same for every user."""
    return np.broadcast_to(ops.in_deg, (len(users), ops.graph.n)).copy()


def adamic_adar(ops: GraphOps, users: np.ndarray) -> np.ndarray:
    """Classic Adamic-Adar on the symmetrised graph: sum over shared neighbours z of 1/log deg(z)."""
    deg = np.diff(ops.und.indptr).astype(np.float64)
    weight = _inv(np.log(np.maximum(deg, 1.0)))
    left = ops.und[users] @ sp.diags(weight)
    return np.asarray((left @ ops.und).todense())


def two_hop(ops: GraphOps, users: np.ndarray) -> np.ndarray:
    """Friends of friends: sum over z with u -> z -> v of 1/log(2 + out-degree of z)."""
    weight = 1.0 / np.log(2.0 + ops.out_deg)
    left = ops.adj[users] @ sp.diags(weight)
    return np.asarray((left @ ops.adj).todense())


def co_followed(ops: GraphOps, users: np.ndarray) -> np.ndarray:
    """Item-to-item: v is followed by people who also follow what u follows (u -> z <- w -> v)."""
    left = ops.adj[users] @ sp.diags(_inv(np.sqrt(ops.in_deg)))
    middle = left @ ops.adj_t  # u to co-followers w
    middle = middle @ sp.diags(_inv(np.sqrt(ops.out_deg)))
    return np.asarray((middle @ ops.adj).todense())


def followers_follow(ops: GraphOps, users: np.ndarray) -> np.ndarray:
    """v is followed by u's followers (u <- w -> v), each follower weighted 1/log(2 + out-degree)."""
    weight = 1.0 / np.log(2.0 + ops.out_deg)
    left = ops.adj_t[users] @ sp.diags(weight)
    return np.asarray((left @ ops.adj).todense())


def follows_you(ops: GraphOps, users: np.ndarray) -> np.ndarray:
    """1 where v already follows u (a follow-back candidate)."""
    return np.asarray(ops.adj_t[users].todense())


def personalized_pagerank(
    ops: GraphOps,
    users: np.ndarray,
    restart: float = 0.15,
    iterations: int = 30,
    both_ways: bool = False,
) -> np.ndarray:
    """Random walk along follow edges restarting at u with probability `restart` per step.

    With `both_ways` the walk also steps from an account to its followers. Mass at nodes with
    nowhere to go returns to u. Power iteration over the whole batch at once.
    """
    n, b = ops.graph.n, len(users)
    cols = np.arange(b)
    walk_t = (ops.both_walk_t if both_ways else ops.walk_t).astype(np.float32)
    stuck = np.asarray(walk_t.sum(axis=0)).ravel() == 0
    dangling = stuck.astype(np.float32)
    x = np.zeros((n, b), dtype=np.float32)
    x[users, cols] = 1.0
    for _ in range(iterations):
        lost = dangling @ x
        x = walk_t @ x
        x *= 1.0 - restart
        x[users, cols] += restart + (1.0 - restart) * lost
    return np.ascontiguousarray(x.T, dtype=np.float64)


def salsa(
    ops: GraphOps, users: np.ndarray, ppr: np.ndarray, circle: int = 100, iterations: int = 3
) -> np.ndarray:
    """SALSA authorities over u's circle of trust (its top-`circle` PPR nodes), as in Twitter's WTF.

    Hubs are the circle, weighted by PPR; authorities are whom the hubs follow. Authority scores
    flow back to the hubs that follow them (kept inside the circle) and forward again.
    """
    b, n = ppr.shape
    top = np.argpartition(-ppr, min(circle, n - 1), axis=1)[:, :circle]
    mask = np.zeros((b, n), dtype=bool)
    np.put_along_axis(mask, top, True, axis=1)
    hubs0 = np.where(mask, ppr, 0.0)
    hubs0 /= np.maximum(hubs0.sum(axis=1, keepdims=True), 1e-300)
    hubs = hubs0
    auth = np.zeros_like(ppr)
    for _ in range(iterations):
        auth = np.ascontiguousarray((ops.walk_t @ hubs.T).T)
        back = np.ascontiguousarray((ops.back_t @ auth.T).T)
        back = np.where(mask, back, 0.0)
        back /= np.maximum(back.sum(axis=1, keepdims=True), 1e-300)
        hubs = 0.5 * hubs0 + 0.5 * back
    return auth
