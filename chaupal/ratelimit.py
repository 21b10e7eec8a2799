"""Fixed-window rate limits: in-process counters, or Redis counters shared by every process.

Buckets: every API request per token (or per IP without one), sign-ins per IP, sign-ups per IP.
Over the limit: 429 with `X-RateLimit-Limit/Remaining/Reset` headers, as Mastodon sends them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chaupal.errors import ApiError


@dataclass
class Verdict:
    limit: int
    remaining: int
    reset_at: float

    @property
    def allowed(self) -> bool:
        return self.remaining >= 0

    def headers(self) -> dict[str, str]:
        reset = datetime.fromtimestamp(self.reset_at, tz=UTC)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.remaining, 0)),
            "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }


class RateLimiter:
    def __init__(self, redis: Any = None, prefix: str = "chaupal:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._counts: dict[str, tuple[int, int]] = {}

    async def hit(self, bucket: str, key: str, limit: int, window: int) -> Verdict:
        now = time.time()
        window_no = int(now // window)
        reset_at = (window_no + 1) * window
        name = f"{bucket}:{key}"
        if self._redis is not None:
            rkey = f"{self._prefix}rl:{name}:{window_no}"
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(rkey)
                pipe.expire(rkey, window + 1)
                count, _ = await pipe.execute()
        else:
            start, count = self._counts.get(name, (window_no, 0))
            if start != window_no:
                count = 0
            count += 1
            self._counts[name] = (window_no, count)
            if len(self._counts) > 100_000:  # drop stale windows
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window_no}
        return Verdict(limit, limit - int(count), reset_at)

    async def enforce(self, bucket: str, key: str, limit: int, window: int) -> Verdict:
        verdict = await self.hit(bucket, key, limit, window)
        if not verdict.allowed:
            raise ApiError(429, "Too many requests", headers=verdict.headers())
        return verdict
