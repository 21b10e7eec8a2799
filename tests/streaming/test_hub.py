"""The per-process streaming hub: one timer sends keep-alives and ends streams past
`stream_max_seconds`; one batched token re-check closes revoked, suspended and removed-staff
streams; a frame is rendered once and shared; a client that cannot keep up is dropped."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import event

from chaupal.actions.tokens import do_issue_token
from chaupal.api.mastodon import streaming_fanout
from chaupal.api.mastodon.streaming_auth import live_scopes
from chaupal.api.mastodon.streaming_conns import Conn, Frame
from chaupal.db import utcnow
from chaupal.models import AccessToken, Account
from tests.gov.staff_world import bearer, delegate, make_world
from tests.streaming.util import SSE, WS, follow, post

BASE = "/api/chaupal/v1/institutions"


async def _chunk(sse: SSE, timeout: float = 5.0) -> bytes | None:
    return await asyncio.wait_for(sse.chunks.get(), timeout)


async def test_sse_keepalive__thump_every_stream_keepalive_seconds(app):
    app.state.settings.stream_keepalive_seconds = 0.2
    async with SSE(app, "/api/v1/streaming/public") as sse:
        assert await _chunk(sse) == b":)\n\n"
        assert await _chunk(sse) == b":thump\n\n"
        assert await _chunk(sse) == b":thump\n\n"


async def test_sse_keepalive__not_sent_while_frames_flow(app, client, make_user):
    app.state.settings.stream_keepalive_seconds = 60.0
    alice = await make_user("alice")
    async with SSE(app, "/api/v1/streaming/public") as sse:
        assert await _chunk(sse) == b":)\n\n"
        await post(client, alice, "hello")
        assert (await _chunk(sse) or b"").startswith(b"event: update\n")
        try:
            await asyncio.wait_for(sse.chunks.get(), 0.5)
            raise AssertionError("a keep-alive came early")
        except TimeoutError:
            pass


async def test_stream_max_seconds__sse_and_websocket_end(app):
    app.state.settings.stream_max_seconds = 0.3
    async with SSE(app, "/api/v1/streaming/public") as sse, WS(app, "/api/v1/streaming?stream=public") as ws:
        assert await _chunk(sse) == b":)\n\n"
        while (chunk := await _chunk(sse)) is not None:
            assert chunk == b":thump\n\n"  # then the end of the body
        assert await ws.closed(5)


async def test_slow_client__more_than_stream_subscriber_queue_behind__closed():
    gate = asyncio.Event()
    written: list[Any] = []

    async def stuck_send(message: dict[str, Any]) -> None:
        await gate.wait()  # the client's socket is full
        written.append(message)

    conn = Conn(None, "", sse=True, backlog=3)
    conn.send = stuck_send
    frames = [Frame(["public"], "update", str(i)) for i in range(5)]
    for frame in frames[:4]:
        conn.push(frame)  # one in flight, three waiting
    assert not conn.closed
    conn.push(frames[4])
    assert conn.closed and conn.ended.result() == "overflowed"
    await conn.end(None)
    assert written == []


async def test_writes__in_order_after_a_send_that_had_to_wait():
    gate = asyncio.Event()
    written: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        if not written and not gate.is_set():
            await gate.wait()
        written.append(message["body"])

    conn = Conn(None, "", sse=True, backlog=10)
    conn.send = send
    for i in range(3):
        conn.push(Frame(["public"], "update", str(i)))
    gate.set()
    while conn.writing is not None:
        await asyncio.sleep(0.01)
    assert written == [f"event: update\ndata: {i}\n\n".encode() for i in range(3)]


async def test_status__rendered_once_and_same_frame_shared(app, client, make_user, monkeypatch):
    calls = []
    real = streaming_fanout.render_status

    async def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return await real(*args, **kwargs)

    monkeypatch.setattr(streaming_fanout, "render_status", counting)
    alice, bob = await make_user("alice"), await make_user("bob")
    await follow(client, bob, alice)
    async with (
        WS(app, "/api/v1/streaming?stream=user", bob.headers) as home,
        WS(app, "/api/v1/streaming?stream=hashtag&tag=budget") as tag,
        WS(app, "/api/v1/streaming?stream=public") as one,
        WS(app, "/api/v1/streaming?stream=public") as two,
        SSE(app, "/api/v1/streaming/public") as sse,
    ):
        assert await _chunk(sse) == b":)\n\n"
        status = await post(client, alice, "for all #budget")
        frames = [await ws.frame() for ws in (home, tag, one, two)]
        assert [f["stream"] for f in frames] == [["user"], ["hashtag", "budget"], ["public"], ["public"]]
        assert {json.loads(f["payload"])["id"] for f in frames} == {status["id"]}
        assert (await _chunk(sse) or b"").startswith(b"event: update\ndata: {")
    assert len(calls) == 1


async def test_live_scopes__one_query_for_all_tokens(app, client, make_user):
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    w = await make_world(app, client, make_user)
    r = await delegate(client, w, w.editor)
    assert r.status_code == 200, r.text
    async with app.state.sessions() as s:
        ids = {}
        for user in (alice, bob, carol):
            ids[user.username] = await s.scalar(
                AccessToken.__table__.select().with_only_columns(AccessToken.id).where(AccessToken.user_id == user.user_id)
            )
        app_token, _, _ = await do_issue_token(s, user_id=None, application_id=None, scopes="read")
        expired, _, _ = await do_issue_token(s, user_id=alice.user_id, application_id=None, scopes="read", ttl_seconds=60)
        expired.expires_at = utcnow() - timedelta(seconds=1)
        ids["app"], ids["expired"] = app_token.id, expired.id
        ids["editor"] = await s.scalar(
            AccessToken.__table__.select().with_only_columns(AccessToken.id).where(AccessToken.acting_account_id == w.ministry_id)
        )
        (await s.get(AccessToken, ids["bob"])).revoked_at = utcnow()  # type: ignore[union-attr]
        (await s.get(Account, carol.account_id)).suspended_at = utcnow()  # type: ignore[union-attr]
        await s.commit()

    async def judge() -> tuple[dict[int, frozenset[str]], int]:
        statements = []
        async with app.state.read_sessions() as s:
            engine = (await s.connection()).engine.sync_engine
            listener = lambda *a: statements.append(a[2])
            event.listen(engine, "before_cursor_execute", listener)
            try:
                live = await live_scopes(s, [*ids.values(), 123456789])
            finally:
                event.remove(engine, "before_cursor_execute", listener)
        return live, len(statements)

    live, queries = await judge()
    assert queries == 1
    assert set(live) == {ids["alice"], ids["app"], ids["editor"]}
    assert "write:statuses" in live[ids["editor"]] and "write:accounts" not in live[ids["editor"]]
    await client.delete(f"{BASE}/{w.ministry_id}/members/{w.editor.account_id}", headers=w.owner.headers)
    live, _ = await judge()
    assert set(live) == {ids["alice"], ids["app"]}


async def test_delegated_token__staff_member_removed__stream_closed(app, client, make_user):
    app.state.settings.streaming_auth_recheck_seconds = 0.2
    w = await make_world(app, client, make_user)
    r = await delegate(client, w, w.editor)
    assert r.status_code == 200, r.text
    async with WS(app, "/api/v1/streaming?stream=user", bearer(r.json()["access_token"])) as ws:
        assert ws.accepted
        assert await ws.quiet(0.5)  # re-checked and still valid
        removed = await client.delete(f"{BASE}/{w.ministry_id}/members/{w.editor.account_id}", headers=w.owner.headers)
        assert removed.status_code == 200, removed.text
        assert await ws.closed(5)


async def test_max_connections_per_user__freed_when_a_stream_ends(app, make_user):
    app.state.settings.streaming_max_connections_per_user = 1
    bob = await make_user("bob")
    async with WS(app, "/api/v1/streaming?stream=user", bob.headers) as first:
        assert first.accepted
    async with WS(app, "/api/v1/streaming?stream=user", bob.headers) as again:
        assert again.accepted


async def test_stream_subscriber_queue__client_not_reading__stream_closed(app, client, make_user):
    """A client whose socket stays full falls more than `stream_subscriber_queue` frames behind."""
    app.state.settings.stream_subscriber_queue = 2
    alice = await make_user("alice")
    stuck = asyncio.Event()
    opened = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await asyncio.Event().wait()  # never disconnects
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message.get("body") == b":)\n\n":
            opened.set()
        elif message["type"] == "http.response.body" and message.get("more_body"):
            await stuck.wait()  # the socket's buffer is full from now on

    scope = SSE(app, "/api/v1/streaming/public").scope
    task = asyncio.create_task(app(scope, receive, send))
    await asyncio.wait_for(opened.wait(), 5)
    fanout = app.state.mastodon_streams
    assert len(fanout.conns) == 1
    for i in range(4):  # one in flight, two queued, the fourth is one too many
        await post(client, alice, f"post {i}")
    await asyncio.wait_for(task, 5)  # the stream ended
    assert not fanout.conns


async def test_redis_bus__home_frames_keepalive_and_revocation(settings, redis_url, redis_prefix, make_user):
    """The hub behaves the same when events come through Redis from another process."""
    import httpx

    from chaupal.actions.tokens import do_revoke_user_tokens
    from chaupal.app import create_app

    shared = settings.model_copy(
        update={
            "redis_url": redis_url, "redis_prefix": f"{redis_prefix}hub:",
            "streaming_auth_recheck_seconds": 0.2, "stream_keepalive_seconds": 0.2,
        }
    )
    one, two = create_app(shared), create_app(shared)
    async with one.router.lifespan_context(one), two.router.lifespan_context(two):
        alice, bob = await make_user("alice"), await make_user("bob")
        transport = httpx.ASGITransport(app=one, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://chaupal.test") as c1:
            await follow(c1, bob, alice)
            async with WS(two, "/api/v1/streaming?stream=user", bob.headers) as ws, SSE(two, "/api/v1/streaming/public") as sse:
                assert await _chunk(sse) == b":)\n\n"
                assert await _chunk(sse) == b":thump\n\n"
                status = await post(c1, alice, "across processes")
                frame = await ws.frame()
                assert frame["event"] == "update" and json.loads(frame["payload"])["id"] == status["id"]
                async with one.state.sessions() as s:
                    await do_revoke_user_tokens(s, bob.user_id)
                    await s.commit()
                assert await ws.closed(5)
