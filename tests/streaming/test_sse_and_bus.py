"""Server-Sent Events variants (/api/v1/streaming/...), the health check, their errors, and the
Redis bus: two app instances sharing one Redis prefix see each other's posts."""

from __future__ import annotations

import json
from typing import Any

from chaupal.app import create_app
from tests.streaming.util import SSE, follow, post


async def _ready(sse: SSE) -> None:
    """Wait for the stream's opening comment: from then on, events reach it."""
    sse._buffer += (await sse.chunks.get()).decode()  # type: ignore[union-attr]


async def test_health__ok(client):
    r = await client.get("/api/v1/streaming/health")
    assert r.status_code == 200 and r.text == "OK"


async def test_sse_user__update_and_notification(app, client, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    await follow(client, bob, alice)
    async with SSE(app, "/api/v1/streaming/user", bob.headers) as sse:
        await _ready(sse)
        status = await post(client, alice, "hello @bob")
        seen: dict[str, Any] = {}
        while len(seen) < 2:
            name, data = await sse.event()
            seen[name] = data
        assert seen["update"]["id"] == status["id"]
        assert seen["notification"]["type"] == "mention"


async def test_sse_notification_stream__only_notifications(app, client, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    await follow(client, bob, alice)
    async with SSE(app, f"/api/v1/streaming/user/notification?access_token={bob.token}") as sse:
        await _ready(sse)
        await post(client, alice, "not for the notification stream")
        await post(client, alice, "@bob this one")
        name, data = await sse.event()
        assert name == "notification" and data["type"] == "mention"


async def test_sse_hashtag_local__tagged_public_post_only(app, client, make_user):
    alice = await make_user("alice")
    async with SSE(app, "/api/v1/streaming/hashtag/local?tag=Kisan") as sse:
        await _ready(sse)
        await post(client, alice, "untagged")
        await post(client, alice, "hidden #kisan", visibility="private")
        wanted = await post(client, alice, "open #KISAN")
        name, data = await sse.event()
        assert name == "update" and data["id"] == wanted["id"]


async def test_sse_public__delete_event(app, client, make_user):
    alice = await make_user("alice")
    async with SSE(app, "/api/v1/streaming/public") as sse:
        await _ready(sse)
        status = await post(client, alice, "soon gone")
        assert (await sse.event())[0] == "update"
        assert (await client.delete(f"/api/v1/statuses/{status['id']}", headers=alice.headers)).status_code == 200
        name, data = await sse.event()
        assert name == "delete" and str(data) == status["id"]


async def test_sse_errors__mastodon_json(client, make_user):
    r = await client.get("/api/v1/streaming/user")
    assert r.status_code == 401 and "error" in r.json()
    r = await client.get("/api/v1/streaming/public", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json() == {"error": "Invalid access token"}
    r = await client.get("/api/v1/streaming/hashtag")
    assert r.status_code == 400 and r.json() == {"error": "No tag for stream provided"}
    app_only = await make_user("carol", scopes="read:accounts")
    r = await client.get("/api/v1/streaming/user", headers=app_only.headers)
    assert r.status_code == 401 and r.json()["error"] == "Access token does not have the required scopes"


async def test_sse_revoked_token__stream_ends(app, make_user):
    app.state.settings.streaming_auth_recheck_seconds = 0.2
    bob = await make_user("bob")
    async with SSE(app, "/api/v1/streaming/user", bob.headers) as sse:
        await _ready(sse)
        from chaupal.actions.tokens import do_revoke_user_tokens

        async with app.state.sessions() as s:
            await do_revoke_user_tokens(s, bob.user_id)
            await s.commit()
        try:
            await sse.event(timeout=5)
            raise AssertionError("an event arrived")
        except EOFError:
            pass  # the stream ended


async def test_redis_bus__post_in_one_instance_reaches_a_stream_in_the_other(
    settings, redis_url, redis_prefix, make_user
):
    shared = settings.model_copy(update={"redis_url": redis_url, "redis_prefix": f"{redis_prefix}bus:"})
    one, two = create_app(shared), create_app(shared)
    async with one.router.lifespan_context(one), two.router.lifespan_context(two):
        import httpx

        alice = await make_user("alice")
        async with SSE(two, "/api/v1/streaming/public") as sse:
            await _ready(sse)
            transport = httpx.ASGITransport(app=one, client=("127.0.0.1", 1))
            async with httpx.AsyncClient(transport=transport, base_url="http://chaupal.test") as c1:
                wanted = await post(c1, alice, "across processes")
            name, data = await sse.event()
            assert name == "update" and data["id"] == wanted["id"]
            assert json.dumps(data)
