"""One open streaming connection (SSE or WebSocket) as the per-process fan-out sees it: its
subscriptions, and a writer the fan-out calls directly. A frame is rendered once per event
and stream (`Frame`) and the same ASGI message is handed to every connection that gets it.
An SSE body served by uvicorn's httptools protocol is written to the socket's transport
directly, as the chunk uvicorn would write (no ASGI `send` per frame; docs/decisions.md)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from dataclasses import dataclass
from typing import Any

Message = dict[str, Any]
Send = Callable[[Message], Awaitable[None]]

SSE_KEEPALIVE: Message = {"type": "http.response.body", "body": b":thump\n\n", "more_body": True}
SSE_END: Message = {"type": "http.response.body", "body": b"", "more_body": False}
END_SECONDS = 1.0  # a stream's last write (SSE end, WebSocket close) waits this long for a stuck client
RAW_SEND = "chaupal.raw_send"  # scope key: the server's own `send`, below every middleware


class RawSendMiddleware:
    """Outermost of our middlewares: keeps the server's `send` in the scope of a streaming
    request, so frames skip the `send` wrappers (headers still go through them). Starlette's
    ServerErrorMiddleware sits outside every added middleware and wraps `send`, not `receive`:
    uvicorn's `receive` is a method of the request's cycle, whose `send` is the server's own."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith("/api/v1/streaming/"):
            cycle = getattr(receive, "__self__", None)
            own = getattr(cycle, "send", None)
            scope[RAW_SEND] = own if getattr(own, "__self__", None) is cycle is not None else send
        await self.app(scope, receive, send)


def chunked(body: bytes) -> bytes:
    """`body` as one HTTP/1.1 chunk, as uvicorn frames a streamed response body."""
    return b"%x\r\n%b\r\n" % (len(body), body)


SSE_KEEPALIVE_CHUNK = chunked(SSE_KEEPALIVE["body"])


def transport_of(send: Any, scope: dict[str, Any]) -> Any:
    """The asyncio transport behind uvicorn's httptools `send`, once it has started a chunked
    response; None for any other server (tests' ASGI transports, h11): they keep using `send`."""
    cycle = getattr(send, "__self__", None)
    if type(cycle).__module__ != "uvicorn.protocols.http.httptools_impl" or scope.get("method") == "HEAD":
        return None
    if getattr(cycle, "chunked_encoding", None) is not True or not getattr(cycle, "response_started", False):
        return None
    transport = getattr(cycle, "transport", None)
    return transport if hasattr(transport, "get_write_buffer_size") else None


@dataclass(frozen=True)
class Sub:
    """One subscription: a stream name and, for hashtag streams, the tag (casefolded)."""

    name: str
    tag: str | None = None

    @property
    def stream(self) -> list[str]:
        return [self.name, self.tag] if self.tag else [self.name]


class Frame:
    """One event on one stream; its SSE and WebSocket messages are built on first use and
    then shared by every connection (nobody mutates an ASGI message once sent)."""

    __slots__ = ("_chunk", "_sse", "_ws", "event", "payload", "stream")

    def __init__(self, stream: list[str], event: str, payload: str) -> None:
        self.stream, self.event, self.payload = stream, event, payload
        self._sse: Message | None = None
        self._ws: Message | None = None
        self._chunk: bytes | None = None

    @property
    def chunk(self) -> bytes:
        """The SSE frame as an HTTP chunk, for connections written through their transport."""
        if self._chunk is None:
            self._chunk = chunked(self.sse["body"])
        return self._chunk

    @property
    def sse(self) -> Message:
        if self._sse is None:
            body = f"event: {self.event}\ndata: {self.payload}\n\n".encode()
            self._sse = {"type": "http.response.body", "body": body, "more_body": True}
        return self._sse

    @property
    def ws(self) -> Message:
        if self._ws is None:
            text = json.dumps({"stream": self.stream, "event": self.event, "payload": self.payload})
            self._ws = {"type": "websocket.send", "text": text}
        return self._ws


class Conn:
    """An open stream. The fan-out writes to it with `write`, which runs the ASGI `send` at
    once (it finishes without waiting unless the client's socket is full); only a send that
    must wait gets a task, and later messages queue behind it, at most `backlog` of them,
    then the connection is closed (a client that cannot keep up reconnects). With a
    `transport` (uvicorn, SSE) frames go to the transport's buffer instead, and the same limit
    counts the frames written while that buffer has not drained."""

    def __init__(
        self, viewer_id: int | None, limit_key: str, *, sse: bool, backlog: int,
        token_id: int | None = None, scopes: frozenset[str] = frozenset(),
    ) -> None:
        self.viewer_id = viewer_id  # the account behind the token; None for anonymous or app tokens
        self.limit_key = limit_key  # what the per-user connection limit counts (account, or token)
        self.token_id = token_id  # re-checked by the fan-out's timer
        self.scopes = scopes
        self.sse = sse
        self.subs: set[Sub] = set()
        self.on_subs_changed: Callable[[Conn, Sub, bool], None] | None = None  # the fan-out's index
        self.send: Send | None = None  # set once the response or socket is open
        self.backlog_max = backlog
        self.backlog: deque[Message] = deque()
        self.writing: asyncio.Task[None] | None = None
        self.transport: Any = None  # set by `use_transport` (SSE under uvicorn's httptools)
        self.queued = 0  # frames written to `transport` since its buffer was last empty
        self.last_write = time.monotonic()
        self.deadline = float("inf")
        self.ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    # --- subscriptions (kept in step with the fan-out's index) ---

    def subscribe(self, sub: Sub) -> None:
        if sub not in self.subs:
            self.subs.add(sub)
            if self.on_subs_changed is not None:
                self.on_subs_changed(self, sub, True)

    def unsubscribe(self, sub: Sub) -> None:
        if sub in self.subs:
            self.subs.discard(sub)
            if self.on_subs_changed is not None:
                self.on_subs_changed(self, sub, False)

    # --- writing ---

    @property
    def closed(self) -> bool:
        return self.ended.done()

    def close(self, reason: str) -> None:
        """End the stream: the transport's coroutine (waiting on `ended`) finishes it."""
        if not self.ended.done():
            self.ended.set_result(reason)

    def use_transport(self, transport: Any) -> None:
        """Write the body's chunks straight to `transport` (the response has started)."""
        self.transport = transport

    def push(self, frame: Frame) -> None:
        if self.transport is not None:
            self._put(frame.chunk)
        else:
            self.write(frame.sse if self.sse else frame.ws)

    def _put(self, chunk: bytes) -> None:
        transport = self.transport
        if self.ended.done():
            return
        if transport.is_closing():
            self.close("client gone")
            return
        if transport.get_write_buffer_size():
            self.queued += 1
            if self.queued > self.backlog_max:
                self.close("overflowed")
                return
        else:
            self.queued = 0
        self.last_write = time.monotonic()
        try:
            transport.write(chunk)
        except Exception:  # noqa: BLE001 - a broken socket ends its stream, never the fan-out
            self.close("send failed")

    def write(self, message: Message) -> None:
        if self.send is None or self.ended.done():
            return
        if self.transport is not None:
            body = message["body"]
            self._put(SSE_KEEPALIVE_CHUNK if body is SSE_KEEPALIVE["body"] else chunked(body))
            return
        if self.writing is not None:
            if len(self.backlog) >= self.backlog_max:
                self.close("overflowed")
            else:
                self.backlog.append(message)
            return
        self.last_write = time.monotonic()
        coro = self.send(message)
        try:
            pending = coro.send(None)  # type: ignore[attr-defined]
        except StopIteration:
            return  # written: the common case, no task and no context switch
        except Exception:  # noqa: BLE001 - a broken socket ends its stream, never the fan-out
            self.close("send failed")
            return
        self.writing = asyncio.ensure_future(self._finish(coro, pending))  # type: ignore[arg-type]

    async def _finish(self, coro: Coroutine[Any, Any, None], pending: Any) -> None:
        try:
            await _Resumed(coro, pending)
            while self.backlog and not self.ended.done():
                self.last_write = time.monotonic()
                await self.send(self.backlog.popleft())  # type: ignore[misc]
        except Exception:  # noqa: BLE001 - as in write
            self.close("send failed")
        finally:
            self.writing = None

    async def end(self, message: Message | None) -> None:
        """Stop writing; send `message` (the SSE end, a WebSocket close) if the client takes it."""
        if self.writing is not None:
            self.writing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.writing
        self.backlog.clear()
        self.transport = None  # the end goes through `send`, after what the transport holds
        if message is not None and self.send is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.send(message), END_SECONDS)
        self.send = None


class _Resumed:
    """Awaits the rest of a coroutine started by hand (`coro.send(None)`) that suspended on
    `pending`: the task awaiting this drives the coroutine from where it stopped."""

    def __init__(self, coro: Coroutine[Any, Any, Any], pending: Any) -> None:
        self.coro, self.pending = coro, pending

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, value = self.coro, self.pending
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # noqa: BLE001 - handed on to the coroutine
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value
