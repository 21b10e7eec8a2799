"""Who-to-follow: graph signals (PPR, SALSA, Adamic-Adar, co-follows, follow-back) blended by a
listwise ranker learned from the graph's own follows. Pure functions over an edge list; the entry
point is `chaupal.insights.suggest.core.suggest`. Nothing heavy is imported here (CLI start-up)."""
