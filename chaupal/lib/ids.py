"""Time-sortable 64-bit IDs (snowflake-style), rendered as strings on the wire.

Layout: milliseconds since the Unix epoch in the high 48 bits, 16 low bits that
make IDs created in the same millisecond distinct (a per-process counter that
starts at a random value). Backdated rows get IDs from their own timestamp.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import UTC, datetime

_lock = threading.Lock()
_last_ms = 0
_seq = secrets.randbits(16)


def new_id(at: datetime | None = None) -> int:
    """A new ID for now, or for the moment `at` (for backdated rows)."""
    global _last_ms, _seq
    ms = int(at.timestamp() * 1000) if at is not None else int(time.time() * 1000)
    with _lock:
        if at is None and ms <= _last_ms:
            ms = _last_ms
        _seq = (_seq + 1) & 0xFFFF
        if at is None:
            _last_ms = ms
        return (ms << 16) | _seq


def id_floor(at: datetime) -> int:
    """The smallest ID that could have been made at `at` (for time-range queries)."""
    return int(at.timestamp() * 1000) << 16


def id_time(id_: int) -> datetime:
    return datetime.fromtimestamp((id_ >> 16) / 1000, tz=UTC)
