"""Pure trend scoring: each distinct account adds the decayed weight of its latest use, so one
account posting a tag a hundred times counts once; `language` "" is the all-languages list."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

ALL = ""  # the all-languages list
_LANG = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class Use:
    """One account using an item (posting a tag or link, interacting with a status) at `at`."""

    item: int
    account: int
    language: str
    at: datetime


@dataclass
class ItemScore:
    score: float = 0.0
    uses: int = 0
    accounts: int = 0
    latest: dict[int, float] = field(default_factory=dict, repr=False)  # account -> weight


def language_key(value: str | None) -> str:
    """`hi`, `en-IN`, `EN` -> `hi`, `en`, `en`; anything else (None, `*`, junk) -> ""."""
    primary = (value or "").strip().split("-")[0].split("_")[0].lower()
    return primary if _LANG.match(primary) else ALL


def decay(age: timedelta, half_life_hours: float) -> float:
    """Weight of a use `age` old: 1 now, 1/2 after one half-life; future uses count as now."""
    hours = max(age.total_seconds(), 0.0) / 3600.0
    return math.pow(0.5, hours / half_life_hours)


def score_uses(
    uses: Iterable[Use], now: datetime, half_life_hours: float, min_accounts: int
) -> dict[tuple[int, str], ItemScore]:
    """Scores per (item, language) and per (item, ALL); items used by fewer than `min_accounts`
    distinct accounts are dropped."""
    out: dict[tuple[int, str], ItemScore] = {}
    for use in uses:
        weight = decay(now - use.at, half_life_hours)
        for key in {(use.item, ALL), (use.item, language_key(use.language))}:
            entry = out.setdefault(key, ItemScore())
            entry.uses += 1
            if weight > entry.latest.get(use.account, -1.0):
                entry.latest[use.account] = weight
    for entry in out.values():
        entry.accounts = len(entry.latest)
        entry.score = sum(entry.latest.values())
    return {k: v for k, v in out.items() if v.accounts >= max(min_accounts, 1)}


def daily_history(
    uses: Iterable[Use], now: datetime, days: int = 7
) -> dict[int, list[dict[str, str]]]:
    """Mastodon's `history` per item: `days` entries newest first, uses and distinct accounts."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    counts: dict[int, list[list[object]]] = {}
    for use in uses:
        index = (today - use.at.replace(hour=0, minute=0, second=0, microsecond=0)).days
        if not 0 <= index < days:
            continue
        rows = counts.setdefault(use.item, [[0, set()] for _ in range(days)])
        rows[index][0] = int(rows[index][0]) + 1  # type: ignore[call-overload]
        rows[index][1].add(use.account)  # type: ignore[attr-defined]
    return {
        item: [
            {
                "day": str(int((today - timedelta(days=i)).timestamp())),
                "uses": str(rows[i][0]),
                "accounts": str(len(rows[i][1])),  # type: ignore[arg-type]
            }
            for i in range(days)
        ]
        for item, rows in counts.items()
    }


def normalize_url(url: str) -> str | None:
    """The form links are counted under: scheme and host lower-cased, fragment and a bare trailing
    `/` dropped. None for anything that is not an http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.hostname.lower()
    path = parts.path if parts.path != "/" else ""
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))


def link_id(url: str) -> int:
    """A stable positive 62-bit ID for a normalised URL (links have no table of their own)."""
    return int.from_bytes(hashlib.sha256(url.encode("utf-8")).digest()[:8], "big") >> 2
