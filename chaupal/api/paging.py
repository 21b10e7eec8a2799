"""Apply Mastodon paging to a query and set the `Link` header on the response."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import Request, Response
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from chaupal.errors import ApiError
from chaupal.lib.paging import Page, PageError, link_header, parse_page

T = TypeVar("T")


def page_from(request: Request, default: int, maximum: int) -> Page:
    try:
        return parse_page(dict(request.query_params), default, maximum)
    except PageError as exc:
        raise ApiError(400, str(exc)) from None


def apply_page(stmt: Select[Any], column: InstrumentedAttribute[int] | Any, page: Page) -> Select[Any]:
    """Restrict and order `stmt` by `column` for `page`; reverse the rows after with `finish`."""
    if page.max_id is not None:
        stmt = stmt.where(column < page.max_id)
    if page.since_id is not None:
        stmt = stmt.where(column > page.since_id)
    if page.min_id is not None:
        stmt = stmt.where(column > page.min_id)
    order = column.asc() if page.ascending else column.desc()
    return stmt.order_by(order).limit(page.limit)


def finish(rows: Sequence[T], page: Page) -> list[T]:
    """Rows newest first, whatever order the paged query ran in."""
    return list(reversed(rows)) if page.ascending else list(rows)


def set_link(request: Request, response: Response, ids: list[int]) -> None:
    """Set `Link` from the cursor IDs of the page (newest first)."""
    # Percent-encode non-ASCII paths (/timelines/tag/भारत): headers must be latin-1.
    base = quote(str(request.url.replace(query="")), safe=":/?#[]@!$&'()*+,;=%")
    query: dict[str, str | list[str]] = {}
    for k, v in request.query_params.multi_items():
        if k in query:
            existing = query[k]
            query[k] = [*existing, v] if isinstance(existing, list) else [existing, v]
        else:
            query[k] = v
    header = link_header(base, query, ids)
    if header:
        response.headers["Link"] = header
