"""Mastodon paging: max_id / since_id / min_id / limit, and the `Link` header.

Results are always returned newest first. `min_id` asks for the page immediately
newer than an ID (so the query runs ascending and is reversed); `since_id` asks for
the newest items newer than an ID.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class Page:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20

    @property
    def ascending(self) -> bool:
        return self.min_id is not None and self.max_id is None and self.since_id is None


class PageError(ValueError):
    pass


def _parse_id(name: str, raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise PageError(f"{name} must be an ID") from None
    if value < 0 or value >= 2**63:
        raise PageError(f"{name} is out of range")
    return value


def parse_page(params: dict[str, str], default: int, maximum: int) -> Page:
    """Read paging parameters; a limit above the maximum is clamped, as Mastodon does."""
    raw_limit = params.get("limit")
    if raw_limit in (None, ""):
        limit = default
    else:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise PageError("limit must be an integer") from None
        if limit < 1:
            raise PageError("limit must be positive")
        limit = min(limit, maximum)
    return Page(
        max_id=_parse_id("max_id", params.get("max_id")),
        since_id=_parse_id("since_id", params.get("since_id")),
        min_id=_parse_id("min_id", params.get("min_id")),
        limit=limit,
    )


def link_header(base_url: str, query: dict[str, str | list[str]], ids: list[int]) -> str | None:
    """`Link` header for a newest-first page whose cursor IDs are `ids` (in page order)."""
    if not ids:
        return None
    keep = {k: v for k, v in query.items() if k not in ("max_id", "since_id", "min_id")}

    def url(extra: dict[str, str]) -> str:
        pairs: list[tuple[str, str]] = []
        for k, v in keep.items():
            if isinstance(v, list):
                pairs.extend((k, item) for item in v)
            else:
                pairs.append((k, v))
        pairs.extend(extra.items())
        return f"{base_url}?{urlencode(pairs)}"

    return (
        f'<{url({"max_id": str(ids[-1])})}>; rel="next", '
        f'<{url({"min_id": str(ids[0])})}>; rel="prev"'
    )
