"""A tiny HTTP/1.1 server on 127.0.0.1 for outgoing-request tests: routes answer with fixed
responses or drip bytes slowly; every request is recorded (method, path, headers, body)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Self

Writer = Callable[[asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeRemote:
    routes: dict[str, tuple[int, dict[str, str], bytes] | Writer] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def json(
        self,
        path: str,
        doc: Any,
        content_type: str = "application/activity+json",
        status: int = 200,
    ) -> None:
        self.routes[path] = (status, {"Content-Type": content_type}, json.dumps(doc).encode())

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.routes[path] = (status, {"Location": location}, b"")

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Recorded(method, path, headers, body))
            route = self.routes.get(path.split("?", 1)[0])
            if route is None:
                route = (404, {"Content-Type": "text/plain"}, b"not found")
            if callable(route):
                await route(writer)
            else:
                status, extra, data = route
                out = [f"HTTP/1.1 {status} X", f"Content-Length: {len(data)}", "Connection: close"]
                out += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def dripping(
    total_bytes: int, every: float, content_type: str = "application/activity+json"
) -> Writer:
    """A response sent one byte every `every` seconds, status line and headers included, with a
    body of `total_bytes` spaces."""

    async def write(writer: asyncio.StreamWriter) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {total_bytes}\r\n\r\n"
        for byte in head.encode() + b" " * total_bytes:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(every)

    return write


def endless(chunk: int = 65536, content_type: str = "application/activity+json") -> Writer:
    """A response without Content-Length that never ends (until the client hangs up)."""

    async def write(writer: asyncio.StreamWriter) -> None:
        writer.write(
            f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n".encode()
        )
        for _ in range(100_000):
            writer.write(b"[" * chunk)
            await writer.drain()

    return write
