"""Streaming frames skip the middleware `send` wrappers: under uvicorn's httptools protocol an
SSE body is written to the socket's transport as HTTP chunks (the same bytes uvicorn writes),
elsewhere through the server's own `send`; the headers and the end still go through every
middleware, and a client whose buffer never drains is dropped after `stream_subscriber_queue`."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

import httpx
import uvicorn

from chaupal.api.mastodon.streaming_conns import SSE_KEEPALIVE, Conn, Frame, chunked
from tests.streaming.util import post


class FakeTransport:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.buffered = 0
        self.closing = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def is_closing(self) -> bool:
        return self.closing


async def _never_sent(message: dict[str, Any]) -> None:
    raise AssertionError("frames must not go through send")


async def test_transport__frames_and_keepalive_written_as_http_chunks():
    conn = Conn(None, "", sse=True, backlog=3)
    conn.send = _never_sent
    transport = FakeTransport()
    conn.use_transport(transport)
    frame = Frame(["public"], "update", '{"id": "1"}')
    conn.push(frame)
    conn.write(SSE_KEEPALIVE)
    body = b'event: update\ndata: {"id": "1"}\n\n'
    assert transport.written == [b"%x\r\n%b\r\n" % (len(body), body), b"8\r\n:thump\n\n\r\n"]
    assert frame.chunk is frame.chunk  # encoded once, shared by every connection
    assert chunked(b"") == b"0\r\n\r\n"


async def test_transport__buffer_not_draining__closed_after_stream_subscriber_queue():
    conn = Conn(None, "", sse=True, backlog=2)
    transport = FakeTransport()
    conn.use_transport(transport)
    transport.buffered = 10_000  # the client stopped reading
    for i in range(2):
        conn.push(Frame(["public"], "update", str(i)))
    assert not conn.closed
    conn.push(Frame(["public"], "update", "2"))
    assert conn.closed and conn.ended.result() == "overflowed"
    assert len(transport.written) == 2


async def test_transport__drained_buffer__count_starts_again():
    conn = Conn(None, "", sse=True, backlog=1)
    transport = FakeTransport()
    conn.use_transport(transport)
    for i in range(5):
        transport.buffered = 100 * (i % 2)  # drains between frames
        conn.push(Frame(["public"], "update", str(i)))
    assert not conn.closed and len(transport.written) == 5


async def test_transport__closing__stream_ends_client_gone():
    conn = Conn(None, "", sse=True, backlog=2)
    transport = FakeTransport()
    conn.use_transport(transport)
    transport.closing = True
    conn.push(Frame(["public"], "update", "1"))
    assert conn.ended.result() == "client gone" and transport.written == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_uvicorn_httptools__frames_through_the_transport_end_through_send(app, client, make_user):
    """A real uvicorn server (httptools): the connection writes to its transport, the client
    reads well-formed chunked SSE, the headers went through the middlewares."""
    alice = await make_user("alice")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, http="httptools", lifespan="off", log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
            http.stream("GET", "/api/v1/streaming/public") as r,
        ):
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            assert "x-ratelimit-limit" in r.headers or not app.state.settings.rate_limit_enabled
            lines = r.aiter_lines()
            assert await asyncio.wait_for(anext(lines), 5) == ":)"
            (conn,) = app.state.mastodon_streams.conns
            assert conn.transport is not None  # the direct path was taken
            await post(client, alice, "over the wire")
            seen = []
            while not any("over the wire" in line for line in seen):
                seen.append(await asyncio.wait_for(anext(lines), 5))
            assert "event: update" in seen
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving, 10)
