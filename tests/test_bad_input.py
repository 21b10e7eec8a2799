"""Every route, fed malformed input, answers a 4xx with `{"error": ...}` and writes nothing.

The route list comes from the app itself, so a new endpoint is covered the day it lands.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from sqlalchemy import func, select

from chaupal.api.routes import iter_routes
from chaupal.db import Base

STREAM_WAIT = 0.3  # seconds a streaming route may take to refuse bad input
PATH_VALUES = ["abc", "-1", "99999999999999999999999", "0", "%00"]
QUERIES = [
    {},
    {"limit": "abc", "max_id": "x", "since_id": "-3", "min_id": "1e9"},
    {"limit": "-5"},
    {"id[]": ["x", "y"], "types[]": "nonsense", "q": "\x00" * 3},
]
BODIES: list[tuple[str, bytes]] = [
    ("application/json", b"{"),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b'"just a string"'),
    (
        "application/json",
        json.dumps(
            {"status": 123, "visibility": ["public"], "limit": "x", "id": {"a": 1},
             "in_reply_to_id": "not-an-id", "media_ids": "7", "display_name": None,
             "scopes": 5, "redirect_uris": 7, "grant_type": ["x"], "fields_attributes": 3}
        ).encode(),
    ),
    ("application/x-www-form-urlencoded", b"status[]=a&status[]=b&visibility=sideways&a[b][c]=1"),
    ("multipart/form-data; boundary=zz", b"--zz\r\nbroken"),
    ("text/plain", b"\xff\xfe\x00 not utf8"),
]


async def _row_counts(session_factory: Any) -> dict[str, int]:
    counts = {}
    async with session_factory() as s:
        for table in Base.metadata.sorted_tables:
            counts[table.name] = await s.scalar(select(func.count()).select_from(table))
    return counts


def _routes(app: Any) -> list[tuple[str, str]]:
    return [(m, p) for m, p in iter_routes(app) if p.startswith(("/api/", "/oauth/", "/auth/"))]


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def _problem(r: Any, what: str) -> str | None:
    if r.status_code >= 500:
        return f"{what} -> {r.status_code} {r.text[:200]}"
    if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/json"):
        body = r.json()
        if not (isinstance(body, dict) and "error" in body):
            return f"{what} -> {r.text[:200]}"
    return None


async def test_every_route__malformed_input__4xx_and_nothing_written(app, client, make_user):
    alice = await make_user("alice")
    tokens = [None, "not-a-real-token", alice.token]
    before = await _row_counts(app.state.sessions)
    checked = 0
    problems: list[str | None] = []
    for method, path in _routes(app):
        if path.startswith("/api/docs") or path.startswith("/api/openapi"):
            continue
        for token in tokens:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            for value in PATH_VALUES[: 5 if "{" in path else 1]:
                url = _fill(path, value)
                for query in QUERIES if token != "not-a-real-token" else QUERIES[:1]:
                    if path.startswith("/api/v1/streaming/") and path != "/api/v1/streaming/health":
                        # A stream that opened never ends (httpx's ASGI transport waits for the
                        # whole body): not answering within STREAM_WAIT means it opened, no error.
                        try:
                            r = await asyncio.wait_for(
                                client.request(method, url, params=query, headers=headers), STREAM_WAIT
                            )
                        except TimeoutError:
                            checked += 1
                            continue
                    else:
                        r = await client.request(method, url, params=query, headers=headers)
                    problems.append(_problem(r, f"{method} {url} {query} token={bool(token)}"))
                    checked += 1
                if method in ("POST", "PUT", "PATCH", "DELETE"):
                    for ctype, body in BODIES if token != "not-a-real-token" else BODIES[:1]:
                        r = await client.request(
                            method, url, content=body, headers={**headers, "content-type": ctype}
                        )
                        problems.append(
                            _problem(r, f"{method} {url} body={body[:40]!r} token={bool(token)}")
                        )
                        checked += 1
    found = [p for p in problems if p]
    assert not found, f"{len(found)} bad answers:\n" + "\n".join(found[:40])
    after = await _row_counts(app.state.sessions)
    assert after == before
    assert checked > 0
