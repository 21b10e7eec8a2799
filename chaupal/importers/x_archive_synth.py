"""A generated X archive in the real export format, with PLANTED effects on engagement (posts
at 18:00–20:00 IST get twice the engagement, video posts 1.5 times; nothing else matters).
Used by the tests of import and advice, and by the demo to give a ministry a past on X."""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

TWITTER_EPOCH_MS = 1288834974657
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
IST = timedelta(hours=5, minutes=30)
WORDS = [
    "citizens",
    "scheme",
    "budget",
    "launch",
    "portal",
    "update",
    "ministry",
    "welfare",
    "farmers",
    "students",
    "rail",
    "water",
    "health",
    "digital",
    "rural",
    "women",
    "youth",
    "relief",
    "district",
    "schools",
    "roads",
    "power",
    "savings",
    "tax",
    "growth",
    "public",
    "review",
    "progress",
    "notice",
    "apply",
    "deadline",
    "helpline",
    "details",
    "today",
    "week",
]
TAGS = (
    "Budget2025",
    "DigitalIndia",
    "GST",
    "Swachh",
    "YojanaUpdate",
    "JanDhan",
    "Startup",
    "Kisan",
)


@dataclass
class Planted:
    """Multipliers of expected engagement; the defaults are what the tests recover."""

    evening_hours: tuple[int, int] = (18, 20)  # IST, [start, end)
    evening: float = 2.0
    video: float = 1.5
    photo: float = 1.0
    per_hashtag: float = 1.0
    extra: dict[str, float] = field(default_factory=dict)


def created_at_text(at: datetime) -> str:
    """X's format: 'Wed Oct 10 20:19:24 +0000 2018' (English names whatever the locale)."""
    at = at.astimezone(UTC)
    return f"{DAY_NAMES[at.weekday()]} {MONTHS[at.month - 1]} {at.day:02d} {at:%H:%M:%S} +0000 {at.year}"


def tweet_id(at: datetime, seq: int) -> str:
    return str(((int(at.timestamp() * 1000) - TWITTER_EPOCH_MS) << 22) | (seq & 0x3FFFFF))


def _text(rng: np.random.Generator, length: int) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < length:
        words.append(str(rng.choice(WORDS)))
    return " ".join(words)[:length].strip().capitalize()


def synth_items(
    seed: int = 5,
    *,
    n: int = 1500,
    end: datetime | None = None,
    days: int = 730,
    username: str = "MinOfFinance",
    followers: tuple[int, int] = (20_000, 200_000),
    planted: Planted | None = None,
) -> list[dict[str, Any]]:
    """`n` top-level tweets over `days` before `end` (plus self-thread replies, replies to
    others and a few retweets), as the `{"tweet": {...}}` items of data/tweets.js."""
    rng = np.random.default_rng(seed)
    planted = planted or Planted()
    end = (end or datetime(2025, 6, 30, tzinfo=UTC)).astimezone(UTC)
    start = end - timedelta(days=days)
    items: list[dict[str, Any]] = []
    seq = 0

    def add(raw: dict[str, Any]) -> None:
        items.append({"tweet": raw})

    for k in range(n):
        at = start + timedelta(seconds=float(rng.uniform(0, days * 86400)))
        local = at + IST
        # Both draws are made whatever the hour, so the stream of random numbers (and hence the
        # texts) does not depend on where `end` falls within a day.
        move, shift = rng.random() < 0.6, int(rng.integers(8, 14))
        if local.hour < 6 and move:  # fewer posts at night, as real accounts
            at += timedelta(hours=shift)
            local = at + IST
        seq += 1
        tid = tweet_id(at, seq)
        kind = str(rng.choice(("text", "photo", "video"), p=(0.45, 0.35, 0.20)))
        tags = list(
            rng.choice(TAGS, size=int(rng.choice(4, p=(0.4, 0.3, 0.2, 0.1))), replace=False)
        )
        length = int(rng.integers(30, 270))
        body = _text(rng, length)
        entities: dict[str, Any] = {"hashtags": [], "user_mentions": [], "urls": [], "symbols": []}
        if rng.random() < 0.3:
            short = f"https://t.co/{tid[-10:]}"
            body += f" {short}"
            entities["urls"].append(
                {
                    "url": short,
                    "expanded_url": f"https://finmin.example.gov/n/{k}",
                    "display_url": f"finmin.example.gov/n/{k}",
                    "indices": ["0", "0"],
                }
            )
        for tag in tags:
            entities["hashtags"].append({"text": tag, "indices": ["0", "0"]})
            body += f" #{tag}"
        if rng.random() < 0.05:
            body = body.replace(" ", " &amp; ", 1)
        raw: dict[str, Any] = {
            "id_str": tid,
            "id": tid,
            "created_at": created_at_text(at),
            "full_text": body,
            "lang": str(rng.choice(("en", "hi"), p=(0.8, 0.2))),
            "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
            "truncated": False,
            "retweeted": False,
            "favorited": False,
            "display_text_range": ["0", str(len(body))],
            "entities": entities,
        }
        if kind != "text":
            media_url = f"https://t.co/m{tid[-9:]}"
            raw["full_text"] += f" {media_url}"
            media = [
                {
                    "url": media_url,
                    "type": "photo"
                    if kind == "photo"
                    else str(rng.choice(("video", "animated_gif"), p=(0.85, 0.15))),
                    "media_url_https": f"https://pbs.twimg.com/media/{tid}.jpg",
                    "id_str": tid,
                    "expanded_url": f"https://twitter.com/{username}/status/{tid}/photo/1",
                }
            ]
            entities["media"] = [dict(media[0], type="photo")]
            raw["extended_entities"] = {"media": media}
        growth = (at - start).total_seconds() / (days * 86400)
        audience = followers[0] * math.exp(growth * math.log(followers[1] / followers[0]))
        mean = audience * 0.002
        lo, hi = planted.evening_hours
        if lo <= local.hour < hi:
            mean *= planted.evening
        mean *= {"video": planted.video, "photo": planted.photo}.get(kind, 1.0)
        mean *= planted.per_hashtag ** len(tags)
        shape = 4.0  # negative binomial: overdispersed, as real engagement is
        total = int(rng.negative_binomial(shape, shape / (shape + mean)))
        reposts = int(rng.binomial(total, 0.25))
        raw["favorite_count"], raw["retweet_count"] = str(total - reposts), str(reposts)
        add(raw)
        if rng.random() < 0.12:  # a self-thread of 1-3 more tweets
            parent, prev_at = tid, at
            for _ in range(int(rng.integers(1, 4))):
                seq += 1
                at2 = prev_at = prev_at + timedelta(minutes=int(rng.integers(1, 9)))
                rid = tweet_id(at2, seq)
                add(
                    {
                        "id_str": rid,
                        "id": rid,
                        "created_at": created_at_text(at2),
                        "full_text": f"@{username} {_text(rng, int(rng.integers(40, 200)))}",
                        "in_reply_to_status_id_str": parent,
                        "in_reply_to_status_id": parent,
                        "in_reply_to_user_id_str": "1000",
                        "in_reply_to_screen_name": username,
                        "lang": "en",
                        "favorite_count": str(int(rng.poisson(mean / 4))),
                        "retweet_count": "0",
                        "entities": {
                            "hashtags": [],
                            "user_mentions": [{"screen_name": username}],
                            "urls": [],
                        },
                    }
                )
                parent = rid
        if rng.random() < 0.04:
            seq += 1
            at3 = at + timedelta(hours=2)
            rid = tweet_id(at3, seq)
            add(
                {
                    "id_str": rid,
                    "created_at": created_at_text(at3),
                    "full_text": f"@citizen{k} Thank you, please write to the helpline.",
                    "in_reply_to_status_id_str": tweet_id(at3 - timedelta(hours=1), seq + 7),
                    "in_reply_to_screen_name": f"citizen{k}",
                    "lang": "en",
                    "favorite_count": "1",
                    "retweet_count": "0",
                    "entities": {"hashtags": [], "urls": []},
                }
            )
        if rng.random() < 0.03:
            seq += 1
            add(
                {
                    "id_str": tweet_id(at + timedelta(hours=1), seq),
                    "created_at": created_at_text(at + timedelta(hours=1)),
                    "full_text": "RT @PIB_India: A retweeted post",
                    "retweeted": False,
                    "lang": "en",
                    "favorite_count": "0",
                    "retweet_count": "12",
                    "entities": {"hashtags": [], "urls": []},
                }
            )
    return items


def tweets_js(items: list[dict[str, Any]]) -> str:
    return "window.YTD.tweets.part0 = " + json.dumps(items, indent=2, ensure_ascii=False)


def write_archive(path: Path, items: list[dict[str, Any]], *, as_zip: bool = False) -> Path:
    """The archive as X exports it: a folder (or .zip) with data/tweets.js and a manifest."""
    manifest = "window.__THAR_CONFIG = " + json.dumps({"userInfo": {"userName": "synthetic"}})
    files = {
        "data/tweets.js": tweets_js(items),
        "data/manifest.js": manifest,
        "Your archive.html": "<html><body>Synthetic archive</body></html>",
    }
    if as_zip:
        target = path.with_suffix(".zip")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in files.items():
                zf.writestr(name, text)
        return target
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    return path


async def demo_x_history(
    session: Any, settings: Any, account: Any, now: datetime, *, seed: int = 5, n: int = 1200,
    days: int = 730, before_days: int = 182,
) -> Any:
    """Import a generated X past for a demo account: `n` tweets over `days` ending `before_days`
    before `now` (where the demo's Chaupal history begins). Flushes only; the caller commits.
    With the planted effects, its advice page shows real advice (evening slot, video)."""
    from chaupal.actions.imports import do_import_x_tweets
    from chaupal.importers.x_archive import tweet_from_json

    # The archive ends at a whole day, so two demo runs on the same day import the same tweets.
    end = (now - timedelta(days=before_days)).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    items = synth_items(seed, n=n, end=end, days=days,
                        username=account.username)
    tweets = sorted((tweet_from_json(item, "demo") for item in items), key=lambda t: (t.created_at, int(t.id)))
    return await do_import_x_tweets(session, settings, account, tweets)
