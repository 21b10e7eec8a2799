"""The WebSocket at /api/v1/streaming: Mastodon's frames for update, status.update, delete and
notification after commit only; visibility, blocks and mutes per connection; revocation and
suspension close the socket; bad input answered the way Mastodon answers it."""

from __future__ import annotations

import json

from chaupal.actions.statuses import check_create_status
from chaupal.events import after_commit, discard_pending, hub_of
from chaupal.models import Account
from tests.streaming.util import WS, follow, post


async def test_user_stream__update_edit_delete_and_notification__mastodon_frames(app, client, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    await follow(client, bob, alice)
    async with WS(app, "/api/v1/streaming?stream=user", bob.headers) as ws:
        assert ws.accepted
        status = await post(client, alice, "hello followers")
        frame = await ws.frame()
        assert frame["stream"] == ["user"] and frame["event"] == "update"
        assert isinstance(frame["payload"], str)  # a JSON string inside the frame
        assert json.loads(frame["payload"])["id"] == status["id"]

        r = await client.put(f"/api/v1/statuses/{status['id']}", headers=alice.headers, json={"status": "edited"})
        assert r.status_code == 200, r.text
        frame = await ws.frame()
        assert frame["event"] == "status.update"
        assert "edited" in json.loads(frame["payload"])["content"]

        r = await client.delete(f"/api/v1/statuses/{status['id']}", headers=alice.headers)
        assert r.status_code == 200, r.text
        frame = await ws.frame()
        assert frame == {"stream": ["user"], "event": "delete", "payload": status["id"]}

        await post(client, alice, "@bob a word", visibility="direct")
        events = {}
        for _ in range(2):  # the notification; the direct post itself is not on bob's home (no follow rule)
            f = await ws.frame()
            events[f["event"]] = json.loads(f["payload"])
            if "notification" in events:
                break
        note = events["notification"]
        assert note["type"] == "mention" and note["account"]["id"] == str(alice.account_id)


async def test_rolled_back_post__never_streamed(app, client, make_user, settings):
    alice, bob = await make_user("alice"), await make_user("bob")
    await follow(client, bob, alice)
    async with WS(app, "/api/v1/streaming?stream=user", bob.headers) as ws:
        async with app.state.sessions() as s:
            author = await s.get(Account, alice.account_id)
            await check_create_status(s, settings, author, text="never committed")
            discard_pending(s)  # what the edge does on an error
            await s.rollback()
        await after_commit(s, hub_of(app.state))
        committed = await post(client, alice, "committed")
        frame = await ws.frame()
        assert json.loads(frame["payload"])["id"] == committed["id"]  # the first and only frame
        assert await ws.quiet()


async def test_user_stream__muted_and_blocked_authors__filtered(app, client, make_user):
    alice, bob, carol, dave = [await make_user(n) for n in ("alice", "bob", "carol", "dave")]
    for target in (alice, carol, dave):
        await follow(client, bob, target)
    assert (await client.post(f"/api/v1/accounts/{carol.account_id}/mute", headers=bob.headers)).status_code == 200
    assert (await client.post(f"/api/v1/accounts/{bob.account_id}/block", headers=dave.headers)).status_code == 200
    async with WS(app, "/api/v1/streaming?stream=user", bob.headers) as ws:
        await post(client, carol, "muted voice")
        await post(client, dave, "blocked bob")
        wanted = await post(client, alice, "heard")
        frame = await ws.frame()
        assert json.loads(frame["payload"])["id"] == wanted["id"]
        assert await ws.quiet()


async def test_public_streams__private_post_absent__public_and_hashtag_present(app, client, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    async with WS(app, "/api/v1/streaming", bob.headers) as ws:
        await ws.send({"type": "subscribe", "stream": "public"})
        await ws.send({"type": "subscribe", "stream": "hashtag", "tag": "#Budget"})
        await ws.send({"type": "subscribe", "stream": "public:local"})
        await ws.send({"type": "unsubscribe", "stream": "public:local"})
        await post(client, alice, "for followers #budget", visibility="private")
        await post(client, alice, "quietly public", visibility="unlisted")
        wanted = await post(client, alice, "open #budget")
        frames = [await ws.frame(), await ws.frame()]
        assert sorted(tuple(f["stream"]) for f in frames) == [("hashtag", "budget"), ("public",)]
        assert {json.loads(f["payload"])["id"] for f in frames} == {wanted["id"]}
        assert await ws.quiet()


async def test_public_stream__anonymous_viewer__sees_public_posts(app, client, make_user):
    alice = await make_user("alice")
    async with WS(app, "/api/v1/streaming?stream=public:local") as ws:
        wanted = await post(client, alice, "hello world")
        frame = await ws.frame()
        assert frame["stream"] == ["public:local"]
        payload = json.loads(frame["payload"])
        assert payload["id"] == wanted["id"]
        assert "favourited" not in payload  # rendered once, anonymously, as Mastodon does


async def test_public_stream__author_blocked_by_viewer__filtered(app, client, make_user):
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    assert (await client.post(f"/api/v1/accounts/{carol.account_id}/block", headers=bob.headers)).status_code == 200
    async with WS(app, "/api/v1/streaming?stream=public", bob.headers) as ws:
        await post(client, carol, "blocked")
        wanted = await post(client, alice, "fine")
        assert json.loads((await ws.frame())["payload"])["id"] == wanted["id"]


async def test_revoked_token__socket_closed(app, client, make_user):
    app.state.settings.streaming_auth_recheck_seconds = 0.2
    bob = await make_user("bob")
    async with WS(app, "/api/v1/streaming?stream=user", bob.headers) as ws:
        assert ws.accepted
        r = await client.post("/api/v1/apps", json={"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"})
        from chaupal.actions.tokens import do_revoke_user_tokens

        async with app.state.sessions() as s:
            await do_revoke_user_tokens(s, bob.user_id)
            await s.commit()
        assert r.status_code == 200
        assert await ws.closed(5)


async def test_suspended_account__socket_closed(app, client, make_user):
    app.state.settings.streaming_auth_recheck_seconds = 0.2
    bob = await make_user("bob")
    async with WS(app, "/api/v1/streaming?stream=public", bob.headers) as ws:
        from chaupal.actions.accounts import do_suspend_account

        async with app.state.sessions() as s:
            await do_suspend_account(s, await s.get(Account, bob.account_id))
            await s.commit()
        assert await ws.closed(5)


async def test_bad_token__upgrade_refused_401(app):
    async with WS(app, "/api/v1/streaming?stream=public&access_token=nope") as ws:
        assert ws.denied == 401
        assert json.loads(ws.denied_body) == {"error": "Invalid access token"}


async def test_token_in_sec_websocket_protocol__accepted(app, client, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    await follow(client, bob, alice)
    async with WS(app, "/api/v1/streaming?stream=user", {"Sec-WebSocket-Protocol": bob.token}) as ws:
        assert ws.accepted
        await post(client, alice, "hi")
        assert (await ws.frame())["event"] == "update"


async def test_user_stream_without_token__refused(app):
    async with WS(app, "/api/v1/streaming?stream=user") as ws:
        assert ws.denied == 401


async def test_bad_messages__mastodon_errors_and_socket_stays_open(app, client, make_user):
    bob = await make_user("bob")
    async with WS(app, "/api/v1/streaming", bob.headers) as ws:
        await ws.send({"type": "subscribe", "stream": "nonsense"})
        assert await ws.frame() == {"error": "Unknown stream type", "status": 400}
        await ws.send({"type": "subscribe", "stream": "hashtag"})
        assert await ws.frame() == {"error": "No tag for stream provided", "status": 400}
        await ws.send("{not json")
        assert (await ws.frame())["status"] == 400
        await ws.send({"type": "dance"})
        assert (await ws.frame())["status"] == 400
        await ws.send([1, 2])
        assert (await ws.frame())["status"] == 400


async def test_max_subscriptions__enforced(app, make_user):
    app.state.settings.streaming_max_subscriptions = 1
    bob = await make_user("bob")
    async with WS(app, "/api/v1/streaming", bob.headers) as ws:
        await ws.send({"type": "subscribe", "stream": "public"})
        await ws.send({"type": "subscribe", "stream": "user"})
        assert await ws.frame() == {"error": "Too many subscriptions on this connection", "status": 400}


async def test_max_connections_per_user__enforced(app, make_user):
    app.state.settings.streaming_max_connections_per_user = 1
    bob = await make_user("bob")
    async with WS(app, "/api/v1/streaming?stream=user", bob.headers) as first:
        assert first.accepted
        async with WS(app, "/api/v1/streaming?stream=user", bob.headers) as second:
            assert second.denied == 429
