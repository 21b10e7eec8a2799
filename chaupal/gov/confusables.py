"""Look-alike names: a TR39-style skeleton so "PMOIndiа" (Cyrillic а), "PMO_lndia" and
"PMOIndia" compare equal. The Unicode confusables table comes from the pinned
`confusable-homoglyphs` package, which ships it as data (nothing is downloaded at run time)."""

from __future__ import annotations

import functools
import json
import unicodedata
from collections import defaultdict
from importlib import resources

# Removed before comparing: "PMO_India", "PMO.India", "PMO-India" and "PMO India" look alike.
SEPARATORS = frozenset("_.-·‐‑‒–—―  \t\n")
# After casefolding, ASCII look-alikes the Unicode table keeps apart (its map is case-sensitive:
# it has I -> l but a lower-case i stays i, and 0 -> O but not o).
ASCII_LOOKALIKES = str.maketrans({"i": "l", "1": "l", "|": "l", "0": "o"})
# Skeletons shorter than this are not compared (two-letter names collide by accident).
MIN_SKELETON_CHARS = 3


def _clean(text: str) -> str:
    return text.replace("\u200e", "").replace("\u200f", "")  # the package wraps RTL glyphs in marks


@functools.cache
def prototypes() -> dict[str, str]:
    """{character: its prototype} from Unicode's confusables.txt as the package ships it.

    The package stores each source -> prototype line in both directions, so every group of
    look-alikes is a star around its prototype: the multi-character node if there is one
    ("m" -> "rn"), else the most connected node, ties broken by the lowest code point."""
    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    edges: dict[str, set[str]] = defaultdict(set)
    for key, entries in data.items():
        a = _clean(key)
        for entry in entries:
            b = _clean(entry["c"])
            if a and b and a != b:
                edges[a].add(b)
                edges[b].add(a)
    out: dict[str, str] = {}
    seen: set[str] = set()
    for start in edges:
        if start in seen:
            continue
        group, stack = [], [start]
        seen.add(start)
        while stack:
            node = stack.pop()
            group.append(node)
            for nxt in edges[node]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        multi = [n for n in group if len(n) > 1]
        center = min(multi or group, key=lambda n: (-len(edges[n]), n))
        for node in group:
            if len(node) == 1 and node != center:
                out[node] = center
    return out


def _map(text: str, table: dict[str, str]) -> str:
    return "".join(table.get(ch, ch) for ch in text)


@functools.lru_cache(maxsize=65536)
def skeleton(text: str) -> str:
    """Casefolded, NFKC, confusables mapped, ASCII look-alikes merged, separators removed."""
    table = prototypes()
    s = unicodedata.normalize("NFKC", text or "")
    s = "".join(ch for ch in s if ch not in SEPARATORS and unicodedata.category(ch) != "Cf")
    s = _map(s, table).casefold()
    s = _map(s, table).translate(ASCII_LOOKALIKES)
    return "".join(ch for ch in s if ch not in SEPARATORS)


def comparable(text: str) -> str | None:
    """The skeleton of a name, or None when it is too short to compare meaningfully."""
    s = skeleton(text)
    return s if len(s) >= MIN_SKELETON_CHARS else None
