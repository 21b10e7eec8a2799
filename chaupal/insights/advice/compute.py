"""From posts to advice: assign each post its level of every factor, test each level against
the rest (Poisson regression with a log-audience offset and a time trend), correct all tests
together (Holm), and recommend the best level of a factor only where the evidence holds."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from chaupal.config import Settings
from chaupal.insights.advice.data import Post
from chaupal.insights.advice.stats import Ratio, holm, indicator_ratio

ALPHA = 0.05  # 95% intervals; Holm-adjusted p below this for advice
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MEDIA = ("text", "photo", "video")
TAG_COUNTS = ("0", "1", "2", "3+")
LENGTHS = (("short", 80), ("medium", 160), ("long", 280), ("very long", None))
BINARY = {"thread": "single post"}  # two-level factors: tested once, this side is the mirror
FACTORS = {
    "hour": "Time of day",
    "weekday": "Day of the week",
    "media": "Media",
    "hashtag_count": "Number of hashtags",
    "hashtags": "Which hashtags",
    "length": "Length",
    "thread": "Thread or single post",
}


@dataclass
class Test:
    factor: str
    level: str
    arm: np.ndarray
    result: Ratio | None = None
    p_adjusted: float = 1.0

    @property
    def supported(self) -> bool:
        r = self.result
        return r is not None and self.p_adjusted < ALPHA and (r.low > 1 or r.high < 1)


def hour_levels(block: int) -> list[str]:
    block = block if block > 0 and 24 % block == 0 else 1
    return [f"{h:02d}:00–{(h + block) % 24:02d}:00" for h in range(0, 24, block)]


def length_level(n: int) -> str:
    for name, limit in LENGTHS:
        if limit is None or n <= limit:
            return name
    return LENGTHS[-1][0]


def factor_levels(posts: list[Post], settings: Settings) -> dict[str, list[str]]:
    """Each post's level of every single-valued factor, in the account's time zone."""
    zone = ZoneInfo(settings.advice_timezone)
    slots = hour_levels(settings.advice_hour_block)
    per_slot = 24 // len(slots)
    local = [p.at.astimezone(zone) for p in posts]
    return {
        "hour": [slots[t.hour // per_slot] for t in local],
        "weekday": [WEEKDAYS[t.weekday()] for t in local],
        "media": [p.media for p in posts],
        "hashtag_count": [TAG_COUNTS[min(len(set(p.tags)), 3)] for p in posts],
        "length": [length_level(p.length) for p in posts],
        "thread": ["thread" if p.thread else "single post" for p in posts],
    }


def level_order(settings: Settings) -> dict[str, list[str]]:
    return {
        "hour": hour_levels(settings.advice_hour_block),
        "weekday": list(WEEKDAYS),
        "media": list(MEDIA),
        "hashtag_count": list(TAG_COUNTS),
        "length": [name for name, _ in LENGTHS],
        "thread": ["single post", "thread"],
    }


def design(posts: list[Post]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Covariates (intercept, time trend, source) and the log-audience offset.

    Audience: followers when posted where known; unknown ones are interpolated in time
    between known ones (held flat before the first and after the last); with none known
    the offset is 0 and the quadratic time trend alone absorbs audience growth."""
    n = len(posts)
    seconds = np.array([p.at.timestamp() for p in posts], dtype=float)
    columns = [np.ones(n)]
    spread = seconds.std() if n else 0.0
    if spread > 0:
        t = (seconds - seconds.mean()) / spread
        columns += [t, t * t - (t * t).mean()]
    sources = {p.source for p in posts}
    if len(sources) > 1:
        columns.append(np.array([p.source == "x" for p in posts], dtype=float))
    known = [(s, p.audience) for s, p in zip(seconds, posts, strict=True) if p.audience]
    if known:
        xs, ys = zip(*known, strict=True)
        audience = np.interp(seconds, np.array(xs), np.log(np.array(ys, dtype=float)))
    else:
        audience = np.zeros(n)
    counts = {"known": len(known), "estimated": n - len(known) if known else 0,
              "unknown": 0 if known else n}
    return np.column_stack(columns), audience, counts


def run_tests(posts: list[Post], settings: Settings) -> tuple[list[Test], dict[str, int]]:
    """Every factor level with enough posts on both sides, tested and Holm-corrected together."""
    if not posts:
        return [], {"known": 0, "estimated": 0, "unknown": 0}
    y = np.array([p.engagement for p in posts], dtype=float)
    covariates, offset, audience = design(posts)
    minimum = settings.advice_min_posts_per_arm
    tests: list[Test] = []
    for factor, values in factor_levels(posts, settings).items():
        arr = np.array(values)
        for level in level_order(settings)[factor]:
            tests.append(Test(factor, level, arr == level))
    tag_counts = Counter(t for p in posts for t in set(p.tags))
    for tag, _ in tag_counts.most_common(settings.advice_max_hashtags):
        tests.append(Test("hashtags", f"#{tag}", np.array([tag in p.tags for p in posts])))
    tests = [t for t in tests if not (t.factor in BINARY and t.level == BINARY[t.factor])]
    for test in tests:
        inside = int(test.arm.sum())
        if inside >= minimum and len(posts) - inside >= minimum:
            test.result = indicator_ratio(y, test.arm, covariates, offset)
    done = [t for t in tests if t.result is not None]
    for t, p in zip(done, holm([t.result.p for t in done]), strict=True):  # type: ignore[union-attr]
        t.p_adjusted = p
    for factor, other in BINARY.items():  # one test per two-level factor; the other side mirrors it
        tested = next(t for t in tests if t.factor == factor)
        r = tested.result
        mirror = Ratio(1 / r.ratio, 1 / r.high, 1 / r.low, r.p) if r is not None else None
        tests.append(Test(factor, other, ~tested.arm, mirror, tested.p_adjusted))
    return tests, audience
