"""Notifications API: list with filters and paging, get, dismiss, clear, unread count;
blocked/muted senders and hidden statuses never show."""

from __future__ import annotations

from tests.feeds import factories as f
from tests.feeds.factories import follow_api, post, walk


async def _setup(client, make_user):
    me, bob, carol = [await make_user(n) for n in ("me", "bob", "carol")]
    mine = await post(client, me, "hello")
    await follow_api(client, bob, me)  # follow
    await post(client, bob, "hi @me")  # mention
    await client.post(
        f"/api/v1/statuses/{mine['id']}/favourite", headers=carol.headers
    )  # favourite
    return me, bob, carol, mine


async def test_list__all_types_newest_first_with_accounts_and_statuses(client, make_user):
    me, _bob, carol, mine = await _setup(client, make_user)
    r = await client.get("/api/v1/notifications", headers=me.headers)
    assert r.status_code == 200
    body = r.json()
    assert [n["type"] for n in body] == ["favourite", "mention", "follow"]
    fav, mention, follow = body
    assert fav["account"]["id"] == str(carol.account_id) and fav["status"]["id"] == mine["id"]
    assert mention["account"]["username"] == "bob" and "status" in mention
    assert "status" not in follow
    assert mention["group_key"] == f"ungrouped-{mention['id']}"
    assert fav["created_at"].endswith("Z")


async def test_list__types_exclude_types_and_account_id(client, make_user):
    me, _bob, carol, _ = await _setup(client, make_user)
    get = client.get
    r = await get(
        "/api/v1/notifications", params={"types[]": ["mention", "follow"]}, headers=me.headers
    )
    assert [n["type"] for n in r.json()] == ["mention", "follow"]
    r = await get(
        "/api/v1/notifications", params={"exclude_types[]": ["mention"]}, headers=me.headers
    )
    assert [n["type"] for n in r.json()] == ["favourite", "follow"]
    r = await get(
        "/api/v1/notifications", params={"account_id": str(carol.account_id)}, headers=me.headers
    )
    assert [n["type"] for n in r.json()] == ["favourite"]


async def test_list__paging_via_link_until_exhausted(client, make_user):
    me, *_ = await _setup(client, make_user)
    pages = await walk(client, "/api/v1/notifications", me, "next", {"limit": 2})
    assert [len(p) for p in pages] == [2, 1]
    r = await client.get("/api/v1/notifications", params={"limit": "nope"}, headers=me.headers)
    assert r.status_code == 400


async def test_list__blocked_and_muted_senders_hidden(client, make_user, session):
    me, bob, carol, _ = await _setup(client, make_user)
    await f.block(session, me.account_id, bob.account_id)
    await f.mute(session, me.account_id, carol.account_id)
    await session.commit()
    assert (await client.get("/api/v1/notifications", headers=me.headers)).json() == []


async def test_list__notification_about_a_status_no_longer_visible_is_dropped(
    client, make_user, session
):
    me, bob = await make_user("me"), await make_user("bob")
    secret = await f.status(session, bob.account_id, "private", visibility="private")
    note = await f.notification(session, me.account_id, bob.account_id, "mention", secret)
    await session.commit()
    assert (await client.get("/api/v1/notifications", headers=me.headers)).json() == []
    assert (
        await client.get(f"/api/v1/notifications/{note.id}", headers=me.headers)
    ).status_code == 404


async def test_get_dismiss_and_legacy_dismiss(client, make_user):
    me, bob, *_ = await _setup(client, make_user)
    ids = [n["id"] for n in (await client.get("/api/v1/notifications", headers=me.headers)).json()]
    r = await client.get(f"/api/v1/notifications/{ids[0]}", headers=me.headers)
    assert r.status_code == 200 and r.json()["id"] == ids[0]
    assert (
        await client.get(f"/api/v1/notifications/{ids[0]}", headers=bob.headers)
    ).status_code == 404
    assert (
        await client.post(f"/api/v1/notifications/{ids[0]}/dismiss", headers=bob.headers)
    ).status_code == 404
    assert (
        await client.post(f"/api/v1/notifications/{ids[0]}/dismiss", headers=me.headers)
    ).json() == {}
    r = await client.post("/api/v1/notifications/dismiss", data={"id": ids[1]}, headers=me.headers)
    assert r.status_code == 200
    left = (await client.get("/api/v1/notifications", headers=me.headers)).json()
    assert [n["id"] for n in left] == ids[2:]
    assert (await client.get("/api/v1/notifications/abc", headers=me.headers)).status_code == 404


async def test_clear(client, make_user):
    me, *_ = await _setup(client, make_user)
    assert (await client.post("/api/v1/notifications/clear", headers=me.headers)).json() == {}
    assert (await client.get("/api/v1/notifications", headers=me.headers)).json() == []


async def test_unread_count__since_marker_and_capped_by_setting(client, make_user, settings):
    me, *_ = await _setup(client, make_user)
    r = await client.get("/api/v1/notifications/unread_count", headers=me.headers)
    assert r.json() == {"count": 3}
    ids = [n["id"] for n in (await client.get("/api/v1/notifications", headers=me.headers)).json()]
    r = await client.post(
        "/api/v1/markers", json={"notifications": {"last_read_id": ids[1]}}, headers=me.headers
    )
    assert r.status_code == 200, r.text
    assert (await client.get("/api/v1/notifications/unread_count", headers=me.headers)).json() == {
        "count": 1
    }
    settings.notifications_unread_count_max = 1
    await client.post(
        "/api/v1/markers", json={"notifications": {"last_read_id": "0"}}, headers=me.headers
    )
    r = await client.get(
        "/api/v1/notifications/unread_count", params={"limit": 50}, headers=me.headers
    )
    assert r.json() == {"count": 1}


async def test_scopes(client, make_user):
    reader = await make_user("reader", scopes="read:notifications")
    writer = await make_user("writer", scopes="write:notifications")
    assert (await client.get("/api/v1/notifications")).status_code == 401
    assert (await client.get("/api/v1/notifications", headers=writer.headers)).status_code == 403
    assert (
        await client.post("/api/v1/notifications/clear", headers=reader.headers)
    ).status_code == 403
    assert (
        await client.post("/api/v1/notifications/clear", headers=writer.headers)
    ).status_code == 200
