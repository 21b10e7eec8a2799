"""The Redis side of home feeds: key names, the client for jobs, and the capped sorted set.

A feed is a sorted set of status IDs (member = the ID, score = the ID as a double) plus the
sentinel member "!" whose score is the *horizon*: entries at or below it may have been
trimmed, so that part of the timeline is read from SQL. A feed without its sentinel does not
exist as far as readers are concerned (it is rebuilt from SQL).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from chaupal.config import Settings

SENTINEL = "!"  # sorts before every digit, so it stays at rank 0 among equal scores

# KEYS: feeds; ARGV[1] status ID, ARGV[2] cap, ARGV[3] optional "live" (only feeds already built). Adds the ID to each existing feed above its
# horizon, trims it to `cap` entries and moves the horizon up to the oldest kept score; returns
# how many feeds got it. One call per batch of followers: Python packs one command, not 1,000.
# (On Redis Cluster a batch must share a hash slot: group keys by slot first.)
ADD_SCRIPT = """
local id = ARGV[1]
local score = tonumber(id)
local cap = tonumber(ARGV[2])
local added = 0
for _, key in ipairs(KEYS) do
  local h = redis.call('ZSCORE', key, '!')
  if not h then
    -- no feed (or one being rebuilt): leave the ID for a rebuild running now to merge,
    -- unless only live feeds are wanted (ARGV[3] == "live")
    if ARGV[3] ~= 'live' then
      redis.call('ZADD', key, id, id)
      if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, 60) end
    end
  elseif score > tonumber(h) then
    redis.call('ZADD', key, id, id)
    local n = redis.call('ZCARD', key) - 1
    if n > cap then
      redis.call('ZREMRANGEBYRANK', key, 1, n - cap)
      local first = redis.call('ZRANGE', key, 1, 1, 'WITHSCORES')
      redis.call('ZADD', key, first[2], '!')
    end
    added = added + 1
  end
end
return added
"""


# KEYS[1] feed; ARGV[1] horizon from SQL, ARGV[2] cap, ARGV[3..] the IDs SQL returned. Merges
# them into what the key holds (IDs a fan-out added while the SQL query ran, or entries of the
# feed's previous version: readers filter those), drops what is at or below the horizon, trims
# to `cap` and sets the horizon to the higher of SQL's and the oldest kept score.
REBUILD_SCRIPT = """
local key = KEYS[1]
local h = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
redis.call('ZREM', key, '!')
if h > 0 then redis.call('ZREMRANGEBYSCORE', key, '-inf', h) end
for i = 3, #ARGV, 200 do
  local args = {}
  for j = i, math.min(i + 199, #ARGV) do
    args[#args + 1] = ARGV[j]
    args[#args + 1] = ARGV[j]
  end
  redis.call('ZADD', key, unpack(args))
end
local n = redis.call('ZCARD', key)
if n > cap then
  redis.call('ZREMRANGEBYRANK', key, 0, n - cap - 1)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if tonumber(first[2]) > h then h = tonumber(first[2]) end
end
redis.call('ZADD', key, h, '!')
redis.call('PERSIST', key)
return redis.call('ZSCORE', key, '!')
"""


def feed_key(settings: Settings, account_id: int) -> str:
    return f"{settings.redis_prefix}feed:{account_id}"


def meta_key(settings: Settings, account_id: int) -> str:
    """The follow-set version the feed was built for (a rebuild happens when it changes)."""
    return f"{settings.redis_prefix}feedv:{account_id}"


def ttl_seconds(settings: Settings) -> int:
    return max(1, settings.feed_inactive_days) * 86_400


def redis_feeds_on(settings: Settings) -> bool:
    return settings.feed_backend == "redis" and bool(settings.redis_url)


@contextlib.asynccontextmanager
async def redis_client(settings: Settings) -> AsyncIterator[Any]:
    """A short-lived client for one job (clients are bound to their event loop)."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(settings.redis_url or "", decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


def exact_floor(horizon: float) -> int:
    """The largest integer ID whose double is <= `horizon`: IDs above it are all in the feed."""
    if horizon <= 0:
        return 0
    t = int(horizon)
    while float(t + 1) <= horizon:
        t += 1
    while t > 0 and float(t) > horizon:
        t -= 1
    return t


def parse_ids(members: list[Any]) -> list[int]:
    return [int(m) for m in members if m != SENTINEL]
