"""The demo follow graph: citizens follow by preferential attachment, so followers per
account are heavy-tailed (a few accounts with most followers, a long tail with few)."""

from __future__ import annotations

import random

from chaupal.demo.cast import Persona

# How attractive each kind of account is at the start, per 1,000 citizens.
START_WEIGHT = {
    "head": 600,
    "office": 450,
    "ministry": 160,
    "minister": 70,
    "news": 120,
    "party": 60,
}


def follow_edges(rng: random.Random, people: list[Persona]) -> list[tuple[int, int]]:
    """(follower index, target index) pairs into `people`; no self-follows, no duplicates."""
    index = {p.key: i for i, p in enumerate(people)}
    edges: set[tuple[int, int]] = set()

    def add(a: str, b: str) -> None:
        if a in index and b in index and a != b:
            edges.add((index[a], index[b]))

    officials = [p for p in people if p.kind != "citizen"]
    citizens = [i for i, p in enumerate(people) if p.kind == "citizen"]
    for p in officials:  # the government follows itself, as governments do
        if p.kind in ("ministry", "minister"):
            add(p.key, "pm")
            add(p.key, "pmo")
            add("pm", p.key)
            add("pmo", p.key)
        if p.kind == "minister":
            add(p.key, p.topic or "")
            add(p.topic or "", p.key)
        if p.kind in ("news", "party"):
            add(p.key, "pm")
            add(p.key, "pmo")
    add("pm", "pmo")
    add("pmo", "pm")

    scale = max(1, len(citizens)) / 1000
    urn: list[int] = []
    for i, p in enumerate(people):
        weight = START_WEIGHT.get(p.kind, 0)
        urn.extend([i] * max(1, int(weight * scale * rng.uniform(0.6, 1.4))) if weight else [i])
    order = citizens[:]
    rng.shuffle(order)
    for follower in order:
        degree = min(len(people) - 1, max(1, int(rng.paretovariate(1.4) * 2.2)), 400)
        chosen: set[int] = set()
        attempts = 0
        while len(chosen) < degree and attempts < degree * 6:
            attempts += 1
            target = rng.choice(urn)
            if target != follower and target not in chosen:
                chosen.add(target)
        for target in chosen:
            edges.add((follower, target))
            if people[target].kind == "citizen":
                urn.append(target)  # the rich get richer
    return sorted(edges, key=lambda e: (rng.random(), e))
