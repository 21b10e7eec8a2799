"""Outbox, followers, following and featured collections of a local actor."""

from __future__ import annotations

from datetime import datetime

import pytest

from chaupal.models import Account, Follow

AS = {"Accept": "application/activity+json"}


async def _post(client, user, text, visibility="public"):
    r = await client.post(
        "/api/v1/statuses", json={"status": text, "visibility": visibility}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    return r.json()["id"]


@pytest.fixture
def small_pages(settings):
    settings.federation_collection_page_size = 2
    return settings


async def test_outbox__collection_then_pages_of_public_creates_and_announces(
    client, make_user, small_pages
):
    alice = await make_user("alice")
    bob = await make_user("bob")
    bob_post = await _post(client, bob, "bob's")
    p1 = await _post(client, alice, "one")
    await _post(client, alice, "hidden", visibility="unlisted")
    await _post(client, alice, "secret", visibility="private")
    await _post(client, alice, "dm @bob", visibility="direct")
    r = await client.post(f"/api/v1/statuses/{bob_post}/reblog", headers=alice.headers)
    assert r.status_code == 200
    boost_id = r.json()["id"]
    p3 = await _post(client, alice, "three")

    top = await client.get("/users/alice/outbox", headers=AS)
    assert top.headers["content-type"] == "application/activity+json; charset=utf-8"
    doc = top.json()
    assert doc["type"] == "OrderedCollection"
    assert doc["totalItems"] >= 3
    assert doc["first"] == "http://chaupal.test/users/alice/outbox?page=true"

    page = (await client.get("/users/alice/outbox?page=true", headers=AS)).json()
    assert page["type"] == "OrderedCollectionPage"
    assert page["partOf"] == "http://chaupal.test/users/alice/outbox"
    items = page["orderedItems"]
    assert [i["type"] for i in items] == ["Create", "Announce"]
    assert items[0]["object"]["id"] == f"http://chaupal.test/users/alice/statuses/{p3}"
    assert items[1]["id"] == f"http://chaupal.test/users/alice/statuses/{boost_id}/activity"
    assert items[1]["object"] == f"http://chaupal.test/users/bob/statuses/{bob_post}"
    assert all("@context" not in i for i in items)

    nxt = (await client.get(page["next"].replace("http://chaupal.test", ""), headers=AS)).json()
    assert [i["object"]["id"] for i in nxt["orderedItems"]] == [
        f"http://chaupal.test/users/alice/statuses/{p1}"
    ]
    back = (await client.get(nxt["prev"].replace("http://chaupal.test", ""), headers=AS)).json()
    assert [i["id"] for i in back["orderedItems"]] == [i["id"] for i in items]


async def test_outbox__bad_cursor__400_and_unknown_account__404(client, make_user):
    await make_user("alice")
    r = await client.get("/users/alice/outbox?page=true&max_id=abc", headers=AS)
    assert r.status_code == 400 and "error" in r.json()
    assert (await client.get("/users/nobody/outbox", headers=AS)).status_code == 404


async def test_followers_and_following__counts_and_pages_of_local_actor_ids(
    client, make_user, session
):
    alice = await make_user("alice")
    remote = Account(username="rita", username_lower="rita", domain="mastodon.example")
    session.add(remote)
    await session.flush()
    session.add(Follow(account_id=remote.id, target_account_id=alice.account_id))
    await session.commit()
    bob = await make_user("bob")
    carol = await make_user("carol")
    for follower in (bob, carol):
        r = await client.post(
            f"/api/v1/accounts/{alice.account_id}/follow", headers=follower.headers
        )
        assert r.status_code == 200
    doc = (await client.get("/users/alice/followers", headers=AS)).json()
    assert (doc["type"], doc["totalItems"]) == ("OrderedCollection", 2)
    page = (await client.get("/users/alice/followers?page=true", headers=AS)).json()
    assert page["orderedItems"] == [  # the remote follower is not published
        "http://chaupal.test/users/carol",
        "http://chaupal.test/users/bob",
    ]
    following = (await client.get("/users/bob/following?page=true", headers=AS)).json()
    assert following["orderedItems"] == ["http://chaupal.test/users/alice"]


async def test_followers__hidden_collections__count_only_and_pages_forbidden(client, make_user):
    alice = await make_user("alice", hide_collections=True)
    bob = await make_user("bob")
    await client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    doc = (await client.get("/users/alice/followers", headers=AS)).json()
    assert doc["totalItems"] == 1 and "first" not in doc
    r = await client.get("/users/alice/followers?page=true", headers=AS)
    assert r.status_code == 403 and "error" in r.json()


async def test_featured__pinned_public_posts_as_notes(client, make_user):
    alice = await make_user("alice")
    pinned = await _post(client, alice, "pinned")
    await _post(client, alice, "not pinned")
    r = await client.post(f"/api/v1/statuses/{pinned}/pin", headers=alice.headers)
    assert r.status_code == 200
    doc = (await client.get("/users/alice/collections/featured", headers=AS)).json()
    assert doc["type"] == "OrderedCollection" and doc["totalItems"] == 1
    assert doc["orderedItems"][0]["type"] == "Note"
    assert doc["orderedItems"][0]["id"] == f"http://chaupal.test/users/alice/statuses/{pinned}"


async def test_collections__suspended_owner__410(client, make_user):
    await make_user("gone", suspended_at=datetime(2026, 1, 1))
    for path in ("outbox", "followers", "following", "collections/featured"):
        assert (await client.get(f"/users/gone/{path}", headers=AS)).status_code == 410, path
