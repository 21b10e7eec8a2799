"""Who-to-follow: graph signals (PPR, SALSA, Adamic-Adar, co-follows, follow-back) blended by a
listwise ranker learned from the graph's own follows. Pure functions over an edge list."""

from chaupal.insights.suggest.core import Suggester, fit_blend, suggest
from chaupal.insights.suggest.graph import FollowGraph, read_follows

__all__ = ["FollowGraph", "Suggester", "fit_blend", "read_follows", "suggest"]
