"""Streaming test helpers: a WebSocket client driven at the ASGI level (the app shares the
test's event loop and database engines), plus the SSE reader of the monitor tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, Self
from urllib.parse import urlsplit

import httpx

from tests.insights.monitor.util import SSE, post

__all__ = ["SSE", "WS", "follow", "post"]


async def follow(client: httpx.AsyncClient, user: Any, target: Any) -> None:
    r = await client.post(f"/api/v1/accounts/{target.account_id}/follow", headers=user.headers)
    assert r.status_code == 200, r.text


class WS:
    """`async with WS(app, "/api/v1/streaming?stream=user", headers) as ws:` then `await ws.frame()`."""

    def __init__(self, app: Any, url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(url)
        self.scope = {
            "type": "websocket", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "ws",
            "path": parts.path, "raw_path": parts.path.encode(), "query_string": parts.query.encode(),
            "root_path": "", "client": ("127.0.0.1", 12345), "server": ("chaupal.test", 80),
            "headers": [(b"host", b"chaupal.test"), *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())],
            "subprotocols": [], "state": {}, "extensions": {"websocket.http.response": {}},
        }
        self.app = app
        self.to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.accepted = False
        self.denied: int | None = None  # the HTTP status of a refused upgrade
        self.denied_body = b""

    async def __aenter__(self) -> Self:
        await self.to_app.put({"type": "websocket.connect"})
        self.task = asyncio.create_task(self.app(self.scope, self.to_app.get, self.from_app.put))
        first = await asyncio.wait_for(self.from_app.get(), 10)
        if first["type"] == "websocket.accept":
            self.accepted = True
        elif first["type"] == "websocket.http.response.start":
            self.denied = first["status"]
            while True:
                msg = await asyncio.wait_for(self.from_app.get(), 10)
                self.denied_body += msg.get("body", b"")
                if not msg.get("more_body"):
                    break
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.to_app.put({"type": "websocket.disconnect", "code": 1000})
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self.task), 3)
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task

    async def send(self, message: Any) -> None:
        text = message if isinstance(message, str) else json.dumps(message)
        await self.to_app.put({"type": "websocket.receive", "text": text})

    async def frame(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next JSON frame; EOFError once the server closed the socket."""
        msg = await asyncio.wait_for(self.from_app.get(), timeout)
        if msg["type"] == "websocket.close":
            raise EOFError("closed by the server")
        return json.loads(msg["text"])

    async def closed(self, timeout: float = 10.0) -> bool:
        """Wait until the server closes the socket (frames before that are skipped)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            try:
                msg = await asyncio.wait_for(self.from_app.get(), max(deadline - loop.time(), 0.01))
            except TimeoutError:
                return False
            if msg["type"] == "websocket.close":
                return True
        return False

    async def quiet(self, seconds: float = 0.3) -> bool:
        """True when no frame arrives within `seconds`."""
        try:
            await asyncio.wait_for(self.from_app.get(), seconds)
        except TimeoutError:
            return True
        return False
