"""Mastodon's streaming API: the WebSocket at /api/v1/streaming (subscribe/unsubscribe
messages, frames `{"stream", "event", "payload"}`) and the Server-Sent Events routes
(/api/v1/streaming/user ...). Events come from streaming_fanout after commit."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocketDisconnect

from chaupal.api.deps import Auth, load_auth
from chaupal.api.mastodon.streaming_fanout import STREAMS, Conn, Fanout, Frame, Sub
from chaupal.errors import ApiError
from chaupal.lib.text import tag_key
from chaupal.web.stream import server_exiting

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


def open_conn(app: Any, auth: Auth | None, token: str | None) -> Conn:
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
    viewer = auth.account.id if auth is not None and auth.account is not None else None
    return Conn(viewer, key, asyncio.Queue(settings.stream_subscriber_queue))


async def still_valid(app: Any, token: str) -> bool:
    """The token is live and its account not suspended (checked every streaming_auth_recheck_seconds)."""
    async with app.state.read_sessions() as session:
        return await load_auth(session, token) is not None


@router.get("/api/v1/streaming/health")
async def health() -> Response:
    return PlainTextResponse("OK")


# --- Server-Sent Events ---------------------------------------------------------------


def sse_frame(event: str, payload: str) -> str:
    return f"event: {event}\ndata: {payload}\n\n"


async def sse_body(app: Any, conn: Conn, token: str | None) -> AsyncIterator[str]:
    settings = app.state.settings
    loop = asyncio.get_running_loop()
    fanout = fanout_of(app)
    fanout.add(conn)
    try:
        yield ":)\n\n"
        deadline = loop.time() + settings.stream_max_seconds
        next_check = loop.time() + settings.streaming_auth_recheck_seconds
        next_beat = loop.time() + settings.stream_keepalive_seconds
        while loop.time() < deadline and not conn.overflowed and not server_exiting():
            wait = max(0.01, min(next_check, next_beat, deadline) - loop.time())
            try:
                frame = await asyncio.wait_for(conn.queue.get(), min(wait, 1.0))
                yield sse_frame(frame[1], frame[2])
            except TimeoutError:
                pass
            now = loop.time()
            if now >= next_beat:
                next_beat = now + settings.stream_keepalive_seconds
                yield ":thump\n\n"
            if token is not None and now >= next_check:
                next_check = now + settings.streaming_auth_recheck_seconds
                if not await still_valid(app, token):
                    return
    finally:
        fanout.remove(conn)


async def _sse(request: Request, name: str, tag: str | None = None) -> Response:
    token = raw_token(request)
    auth = await authenticate(request.app, token)
    sub = parse_sub(name, tag, auth)
    conn = open_conn(request.app, auth, token)
    conn.subs.add(sub)
    return StreamingResponse(
        sse_body(request.app, conn, token),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


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


def _error(error: ApiError) -> str:
    return json.dumps({"error": error.message, "status": error.status})


async def _ws_reader(ws: WebSocket, conn: Conn, auth: Auth | None, max_subs: int) -> None:
    """Apply `{"type": "subscribe"|"unsubscribe", "stream": ..., "tag": ...}` messages."""
    while True:
        text = await ws.receive_text()
        try:
            message = json.loads(text)
        except ValueError:
            await ws.send_text(_error(ApiError(400, "Error parsing message")))
            continue
        if not isinstance(message, dict) or message.get("type") not in ("subscribe", "unsubscribe"):
            await ws.send_text(_error(ApiError(400, "Unknown message type")))
            continue
        try:
            sub = parse_sub(message.get("stream"), message.get("tag"), auth)
            if message["type"] == "unsubscribe":
                conn.subs.discard(sub)
            elif sub not in conn.subs:
                if len(conn.subs) >= max_subs:
                    raise ApiError(400, "Too many subscriptions on this connection")
                conn.subs.add(sub)
        except ApiError as exc:
            await ws.send_text(_error(exc))


async def _ws_writer(ws: WebSocket, conn: Conn, token: str | None) -> None:
    app = ws.app
    settings = app.state.settings
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.stream_max_seconds
    next_check = loop.time() + settings.streaming_auth_recheck_seconds
    while loop.time() < deadline and not conn.overflowed and not server_exiting():
        try:
            frame: Frame = await asyncio.wait_for(conn.queue.get(), 1.0)
            stream, event, payload = frame
            await ws.send_text(json.dumps({"stream": stream, "event": event, "payload": payload}))
        except TimeoutError:
            pass
        if token is not None and loop.time() >= next_check:
            next_check = loop.time() + settings.streaming_auth_recheck_seconds
            if not await still_valid(app, token):
                return


@router.websocket("/api/v1/streaming")
async def streaming_socket(ws: WebSocket) -> None:
    token = raw_token(ws)
    try:
        auth = await authenticate(ws.app, token)
        conn = open_conn(ws.app, auth, token)
        initial = ws.query_params.get("stream")
        if initial:
            conn.subs.add(parse_sub(initial, ws.query_params.get("tag"), auth))
    except ApiError as exc:
        await _deny(ws, exc)
        return
    fanout = fanout_of(ws.app)
    fanout.add(conn)
    protocol = ws.headers.get("sec-websocket-protocol")
    try:
        await ws.accept(subprotocol=protocol.split(",")[0].strip() if protocol else None)
    except BaseException:
        fanout.remove(conn)
        raise
    max_subs = ws.app.state.settings.streaming_max_subscriptions
    reader = asyncio.create_task(_ws_reader(ws, conn, auth, max_subs))
    writer = asyncio.create_task(_ws_writer(ws, conn, token))
    try:
        await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        fanout.remove(conn)
        for task in (reader, writer):
            task.cancel()
        for task in (reader, writer):
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task
        with contextlib.suppress(Exception):
            await ws.close()
