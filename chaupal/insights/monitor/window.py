"""The time window and bucket size of a monitor: `window` and `bucket` are durations such as
`90s`, `15m`, `6h`, `7d` (a bare number is seconds), checked against the settings' limits."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chaupal.config import Settings
from chaupal.errors import unprocessable

_DURATION = re.compile(r"^(\d{1,9})([smhd]?)$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
ROUND_BUCKETS = (10, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400)


def parse_duration(raw: Any) -> int | None:
    """Seconds in `raw` ("15m", "2h", "600"), or None if it is not a duration."""
    if not isinstance(raw, str):
        return None
    m = _DURATION.match(raw.strip().lower())
    return int(m.group(1)) * _UNIT[m.group(2)] if m else None


@dataclass(frozen=True)
class Window:
    since: datetime  # first bucket's start (aligned to the bucket size)
    until: datetime
    bucket_seconds: int

    @property
    def buckets(self) -> int:
        return max(1, math.ceil((self.until - self.since).total_seconds() / self.bucket_seconds))

    def index(self, at: datetime) -> int:
        return int((at - self.since).total_seconds() // self.bucket_seconds)


def resolve_window(
    settings: Settings, now: datetime, window: Any = None, bucket: Any = None,
    started_at: datetime | None = None,
) -> Window:
    """Checked window ending now. Without `window`: since `started_at` (a post's creation) or
    `reactions_window_default_seconds`; without `bucket`: a round size giving at most
    `reactions_buckets_auto` buckets."""
    top = settings.reactions_window_max_seconds
    if window is not None and window != "":
        seconds = parse_duration(window)
        if seconds is None or not 1 <= seconds <= top:
            raise unprocessable(f"window must be a duration like 15m, 6h or 7d, at most {top}s")
    elif started_at is not None:
        seconds = int(min(max((now - started_at).total_seconds(), 60), top))
    else:
        seconds = min(settings.reactions_window_default_seconds, top)
    low = settings.reactions_bucket_min_seconds
    if bucket is not None and bucket != "":
        size = parse_duration(bucket)
        if size is None or size < low:
            raise unprocessable(f"bucket must be a duration like 1m or 1h, at least {low}s")
        if math.ceil(seconds / size) > settings.reactions_buckets_max:
            raise unprocessable(
                f"window / bucket gives more than reactions_buckets_max ({settings.reactions_buckets_max}) buckets"
            )
    else:
        target = max(1, min(settings.reactions_buckets_auto, settings.reactions_buckets_max))
        fits = [b for b in ROUND_BUCKETS if b >= low and math.ceil(seconds / b) <= target]
        size = fits[0] if fits else max(low, math.ceil(seconds / target))
    start = now - timedelta(seconds=seconds)
    epoch = int(start.timestamp())
    aligned = datetime.fromtimestamp(epoch - epoch % size, tz=start.tzinfo)
    return Window(aligned, now, size)
