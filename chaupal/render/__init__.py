"""Batch renderers from tables to Mastodon's JSON entities.

Each takes a list of rows and the viewer, loads what it needs in a fixed number of
queries (never one per item), and returns plain dicts in Mastodon's documented shape.
"""

from __future__ import annotations

from datetime import datetime


def iso(dt: datetime | None) -> str | None:
    """Mastodon's timestamp format: UTC, millisecond precision, `Z` suffix."""
    if dt is None:
        return None
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
