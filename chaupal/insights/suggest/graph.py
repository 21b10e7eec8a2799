"""The follow graph as a sparse matrix: ids <-> row numbers, built from an edge list or a TSV.

Pure data, no database: the API layer feeds it `(follower, followed)` pairs from the follows table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class FollowGraph:
    """`adj[i, j] == 1` when node `i` follows node `j`; `ids[i]` is node i's account id."""

    ids: tuple[str, ...]
    adj: sp.csr_matrix
    index: dict[str, int] = field(repr=False, compare=False)

    @classmethod
    def from_edges(
        cls, edges: Iterable[tuple[str, str]], extra_ids: Iterable[str] = ()
    ) -> FollowGraph:
        """Build from `(follower, followed)` pairs; self-follows and duplicates are dropped.

        Nodes are numbered in sorted id order, so the result does not depend on edge order.
        """
        pairs = [(a, b) for a, b in edges if a != b]
        ids = sorted({node for pair in pairs for node in pair} | set(extra_ids))
        index = _index(ids)
        rows = np.fromiter((index[a] for a, _ in pairs), dtype=np.int64, count=len(pairs))
        cols = np.fromiter((index[b] for _, b in pairs), dtype=np.int64, count=len(pairs))
        return cls.from_arrays(ids, rows, cols, index)

    @classmethod
    def from_arrays(
        cls,
        ids: Sequence[str],
        rows: np.ndarray,
        cols: np.ndarray,
        index: dict[str, int] | None = None,
    ) -> FollowGraph:
        """Build from row/column numbers into `ids` (duplicates collapse to one edge)."""
        n = len(ids)
        data = np.ones(len(rows), dtype=np.float64)
        adj = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
        adj.sum_duplicates()
        adj.data[:] = 1.0
        adj.setdiag(0)
        adj.eliminate_zeros()
        ids = tuple(ids)
        return cls(ids=ids, adj=adj, index=index if index is not None else _index(ids))

    def with_adj(self, adj: sp.csr_matrix) -> FollowGraph:
        """Same nodes, other edges (for train/validation splits)."""
        return FollowGraph(ids=self.ids, adj=sp.csr_matrix(adj), index=self.index)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def n_edges(self) -> int:
        return int(self.adj.nnz)

    def out_degree(self) -> np.ndarray:
        return np.diff(self.adj.indptr).astype(np.float64)

    def in_degree(self) -> np.ndarray:
        return np.bincount(self.adj.indices, minlength=self.n).astype(np.float64)

    def following(self, i: int) -> np.ndarray:
        """Row numbers node `i` follows."""
        return self.adj.indices[self.adj.indptr[i] : self.adj.indptr[i + 1]]


def _index(ids: Sequence[str]) -> dict[str, int]:
    return {node: i for i, node in enumerate(ids)}


def parse_follows(lines: Iterable[str]) -> list[tuple[str, str]]:
    """`follower<TAB>followed` lines to pairs; skips blank lines and a `follower` header row."""
    edges: list[tuple[str, str]] = []
    for number, raw in enumerate(lines):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise ValueError(f"line {number + 1}: expected follower<TAB>followed, got {line!r}")
        follower, followed = parts[0].strip(), parts[1].strip()
        if number == 0 and _is_header(follower, followed):
            continue
        edges.append((follower, followed))
    return edges


def _is_header(first: str, second: str) -> bool:
    return first.lower() in _HEADER_NAMES and second.lower() in _HEADER_NAMES


_HEADER_NAMES = {"follower", "followed", "source", "target", "src", "dst", "from", "to"}


def read_follows(path: str | Path, extra_ids: Iterable[str] = ()) -> FollowGraph:
    """Read a follows TSV (with or without its header row) into a graph."""
    with open(path, encoding="utf-8") as handle:
        return FollowGraph.from_edges(parse_follows(handle), extra_ids=extra_ids)
