"""Helpers for the monitor tests: post through the API, read an SSE response through the ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, Self
from urllib.parse import urlsplit

import httpx


async def post(client: httpx.AsyncClient, user: Any, text: str, **fields: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/statuses", headers=user.headers, json={"status": text, **fields})
    assert r.status_code == 200, r.text
    return r.json()


class SSE:
    """A streaming GET driven at the ASGI level (httpx's ASGITransport buffers whole bodies)."""

    def __init__(self, app: Any, url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(url)
        self.scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": parts.path, "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(), "root_path": "",
            "headers": [(b"host", b"chaupal.test"), *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())],
            "client": ("127.0.0.1", 12345), "server": ("chaupal.test", 80), "state": {},
        }
        self.app = app
        self.status: int | None = None
        self.chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._gone = asyncio.Event()
        self._sent_request = False
        self._buffer = ""

    async def _receive(self) -> dict[str, Any]:
        if not self._sent_request:
            self._sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            if message.get("body"):
                await self.chunks.put(message["body"])
            if not message.get("more_body"):
                await self.chunks.put(None)

    async def __aenter__(self) -> Self:
        self.task = asyncio.create_task(self.app(self.scope, self._receive, self._send))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._gone.set()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task  # the app task was cancelled: its error (if any) is not the test's

    async def body(self) -> str:
        """The whole body of a response that ends (an error answer)."""
        out = b""
        while (chunk := await asyncio.wait_for(self.chunks.get(), 10)) is not None:
            out += chunk
        return out.decode()

    async def event(self, timeout: float = 10.0) -> tuple[str, dict[str, Any]]:
        """The next `event:`/`data:` message (comments and retry lines skipped), JSON-decoded."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            while "\n\n" in self._buffer:
                block, self._buffer = self._buffer.split("\n\n", 1)
                lines = block.split("\n")
                name = next((line[7:] for line in lines if line.startswith("event: ")), None)
                data = "\n".join(line[6:] for line in lines if line.startswith("data: "))
                if name:
                    return name, json.loads(data)
            chunk = await asyncio.wait_for(self.chunks.get(), max(deadline - loop.time(), 0.01))
            if chunk is None:
                raise EOFError("the stream ended")
            self._buffer += chunk.decode()
