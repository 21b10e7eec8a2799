"""Mastodon's streaming API: the WebSocket at /api/v1/streaming (subscribe/unsubscribe
messages, frames `{"stream", "event", "payload"}`) and the Server-Sent Events routes
(/api/v1/streaming/user ...). A connection's own coroutine only opens it and waits for its end:
streaming_fanout's per-process tasks write its frames, keep-alives and time limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocketDisconnect

from chaupal.api.deps import Auth, load_auth
from chaupal.api.mastodon.streaming_conns import RAW_SEND, SSE_END, Message, transport_of
from chaupal.api.mastodon.streaming_fanout import STREAMS, Conn, Fanout, Sub
from chaupal.errors import ApiError
from chaupal.lib.text import tag_key

router = APIRouter()

TAG_MAX = 255  # a tag longer than any stored one matches nothing: refused


def fanout_of(app: Any) -> Fanout:
    fanout = getattr(app.state, "mastodon_streams", None)
    if fanout is None:
        fanout = app.state.mastodon_streams = Fanout(app)
    return fanout


async def stop_streams(app: Any) -> None:
    fanout = getattr(app.state, "mastodon_streams", None)
    if fanout is not None:
        await fanout.stop()


def raw_token(conn: HTTPConnection) -> str | None:
    """The token, as Mastodon takes it: `access_token` query parameter, `Authorization: Bearer`,
    or (WebSocket in browsers) the `Sec-WebSocket-Protocol` header."""
    token = conn.query_params.get("access_token")
    header = conn.headers.get("authorization", "")
    if not token and header[:7].lower() == "bearer ":
        token = header[7:].strip()
    if not token and conn.scope["type"] == "websocket":
        token = conn.headers.get("sec-websocket-protocol", "").split(",")[0].strip()
    return token or None


async def authenticate(app: Any, token: str | None) -> Auth | None:
    """None without a token; 401 for a token that is unknown, revoked or of a suspended account."""
    if token is None:
        return None
    if len(token) > 512:
        raise ApiError(401, "Invalid access token")
    async with app.state.read_sessions() as session:
        auth = await load_auth(session, token)
    if auth is None:
        raise ApiError(401, "Invalid access token")
    return auth


def parse_sub(name: Any, tag: Any, auth: Auth | None) -> Sub:
    """A subscription request checked like Mastodon's streaming server checks it."""
    if not isinstance(name, str) or name not in STREAMS:
        raise ApiError(400, "Unknown stream type")
    if name.startswith("hashtag"):
        if not isinstance(tag, str) or not tag.strip().lstrip("#"):
            raise ApiError(400, "No tag for stream provided")
        key = tag_key(tag.strip().lstrip("#"))
        if len(key) > TAG_MAX:
            raise ApiError(400, "No tag for stream provided")
        return Sub(name, key)
    if name.startswith("user"):
        if auth is None:
            raise ApiError(401, "Missing access token")
        if auth.account is None:
            raise ApiError(401, "This stream requires a user token")
        scope = "read:statuses" if name == "user" else "read:notifications"
        if not auth.allows(scope):
            raise ApiError(401, "Access token does not have the required scopes")
    return Sub(name)


def open_conn(app: Any, auth: Auth | None, token: str | None, *, sse: bool) -> Conn:
    settings = app.state.settings
    fanout = fanout_of(app)
    if auth is not None and auth.account is not None:
        key = f"account:{auth.account.id}"
    elif token is not None:
        key = f"token:{token}"
    else:
        key = ""  # anonymous: bounded by the server's connection limits, not here
    if key and fanout.count(key) >= settings.streaming_max_connections_per_user:
        raise ApiError(429, "Too many streaming connections")
    return Conn(
        auth.account.id if auth is not None and auth.account is not None else None,
        key,
        sse=sse,
        backlog=settings.stream_subscriber_queue,
        token_id=auth.token.id if auth is not None else None,
        scopes=auth.scopes if auth is not None else frozenset(),
    )


@router.get("/api/v1/streaming/health")
async def health() -> Response:
    return PlainTextResponse("OK")


# --- Server-Sent Events ---------------------------------------------------------------


SSE_OPEN: Message = {"type": "http.response.body", "body": b":)\n\n", "more_body": True}
SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
]


class EventStream(Response):
    """An SSE response whose body the fan-out writes: this coroutine sends the headers and
    the opening comment, registers the connection, then only waits for its end."""

    def __init__(self, app: Any, conn: Conn) -> None:
        self.app, self.conn = app, conn
        self.status_code = 200
        self.background = None
        self.raw_headers = list(SSE_HEADERS)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        conn, fanout = self.conn, fanout_of(self.app)
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        conn.send = send  # the end goes through every middleware, as the headers did
        raw = scope.get(RAW_SEND)
        transport = transport_of(raw, scope) if raw is not None else None
        if transport is not None:
            conn.use_transport(transport)  # uvicorn: frames go straight to the socket's buffer
        elif raw is not None:
            conn.send = raw  # another server: frames skip the middleware wrappers
        fanout.add(conn)  # no await before the opening comment: no event slips past
        conn.write(SSE_OPEN)
        watcher = asyncio.ensure_future(_until_disconnect(receive, conn))
        try:
            await conn.ended
        finally:
            fanout.remove(conn)
            watcher.cancel()
            await conn.end(SSE_END)


async def _until_disconnect(receive: Any, conn: Conn) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    conn.close("client gone")


async def _sse(request: Request, name: str, tag: str | None = None) -> Response:
    token = raw_token(request)
    auth = await authenticate(request.app, token)
    sub = parse_sub(name, tag, auth)
    conn = open_conn(request.app, auth, token, sse=True)
    conn.subscribe(sub)
    return EventStream(request.app, conn)


@router.get("/api/v1/streaming/user")
async def stream_user(request: Request) -> Response:
    return await _sse(request, "user")


@router.get("/api/v1/streaming/user/notification")
async def stream_user_notification(request: Request) -> Response:
    return await _sse(request, "user:notification")


@router.get("/api/v1/streaming/public")
async def stream_public(request: Request) -> Response:
    local = request.query_params.get("local", "").lower() in ("1", "true")
    return await _sse(request, "public:local" if local else "public")


@router.get("/api/v1/streaming/public/local")
async def stream_public_local(request: Request) -> Response:
    return await _sse(request, "public:local")


@router.get("/api/v1/streaming/hashtag")
async def stream_hashtag(request: Request) -> Response:
    local = request.query_params.get("local", "").lower() in ("1", "true")
    return await _sse(request, "hashtag:local" if local else "hashtag", request.query_params.get("tag"))


@router.get("/api/v1/streaming/hashtag/local")
async def stream_hashtag_local(request: Request) -> Response:
    return await _sse(request, "hashtag:local", request.query_params.get("tag"))


# --- WebSocket ------------------------------------------------------------------------


async def _deny(ws: WebSocket, error: ApiError) -> None:
    """Refuse the upgrade with Mastodon's HTTP error when the server can send one."""
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(JSONResponse({"error": error.message}, error.status))
    else:
        await ws.close(code=4000 + error.status)


def _error(error: ApiError) -> Message:
    return {"type": "websocket.send", "text": json.dumps({"error": error.message, "status": error.status})}


async def _ws_reader(ws: WebSocket, conn: Conn, auth: Auth | None, max_subs: int) -> None:
    """Apply `{"type": "subscribe"|"unsubscribe", "stream": ..., "tag": ...}` messages; replies
    go through the connection's writer, in order with the frames."""
    try:
        while True:
            text = await ws.receive_text()
            try:
                message = json.loads(text)
            except ValueError:
                conn.write(_error(ApiError(400, "Error parsing message")))
                continue
            if not isinstance(message, dict) or message.get("type") not in ("subscribe", "unsubscribe"):
                conn.write(_error(ApiError(400, "Unknown message type")))
                continue
            try:
                sub = parse_sub(message.get("stream"), message.get("tag"), auth)
                if message["type"] == "unsubscribe":
                    conn.unsubscribe(sub)
                elif sub not in conn.subs:
                    if len(conn.subs) >= max_subs:
                        raise ApiError(400, "Too many subscriptions on this connection")
                    conn.subscribe(sub)
            except ApiError as exc:
                conn.write(_error(exc))
    finally:
        conn.close("client gone")


@router.websocket("/api/v1/streaming")
async def streaming_socket(ws: WebSocket) -> None:
    token = raw_token(ws)
    try:
        auth = await authenticate(ws.app, token)
        conn = open_conn(ws.app, auth, token, sse=False)
        initial = ws.query_params.get("stream")
        if initial:
            conn.subscribe(parse_sub(initial, ws.query_params.get("tag"), auth))
    except ApiError as exc:
        await _deny(ws, exc)
        return
    protocol = ws.headers.get("sec-websocket-protocol")
    await ws.accept(subprotocol=protocol.split(",")[0].strip() if protocol else None)
    fanout = fanout_of(ws.app)
    conn.send = ws.send
    fanout.add(conn)  # no await since the accept: no event slips past
    reader = asyncio.create_task(_ws_reader(ws, conn, auth, ws.app.state.settings.streaming_max_subscriptions))
    try:
        await conn.ended
    finally:
        fanout.remove(conn)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
            await reader
        await conn.end({"type": "websocket.close", "code": 1000, "reason": ""})
