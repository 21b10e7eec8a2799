"""Favourites and bookmarks lists: paged by the mark's ID, visibility still enforced."""

from __future__ import annotations

from tests.feeds import factories as f
from tests.feeds.factories import post, walk


async def test_favourites__newest_favourite_first_paged_by_favourite_id(client, make_user):
    me, bob = await make_user("me"), await make_user("bob")
    statuses = [await post(client, bob, f"s{i}") for i in range(4)]
    # Favourite in an order unlike the statuses' own: the list follows the favourite order.
    for i in (2, 0, 3, 1):
        r = await client.post(f"/api/v1/statuses/{statuses[i]['id']}/favourite", headers=me.headers)
        assert r.status_code == 200
    pages = await walk(client, "/api/v1/favourites", me, "next", {"limit": 3})
    ids = [statuses[i]["id"] for i in (1, 3, 0, 2)]
    assert pages == [ids[:3], ids[3:]]
    r = await client.get("/api/v1/favourites", params={"limit": 1}, headers=me.headers)
    assert "max_id=" in r.links["next"]["url"]
    assert r.links["next"]["url"].split("max_id=")[1] not in {s["id"] for s in statuses}


async def test_bookmarks__listed_and_paged_back(client, make_user):
    me, bob = await make_user("me"), await make_user("bob")
    statuses = [await post(client, bob, f"s{i}") for i in range(3)]
    for s in statuses:
        assert (
            await client.post(f"/api/v1/statuses/{s['id']}/bookmark", headers=me.headers)
        ).status_code == 200
    r = await client.get("/api/v1/bookmarks", headers=me.headers)
    assert [s["id"] for s in r.json()] == [s["id"] for s in reversed(statuses)]
    assert all(s["bookmarked"] for s in r.json())
    first_link = r.links["prev"]["url"]
    assert (await client.get(first_link, headers=me.headers)).json() == []


async def test_favourites_and_bookmarks__hidden_status_drops_out(client, make_user, session):
    me, bob = await make_user("me"), await make_user("bob")
    secret = await f.status(session, bob.account_id, "secret", visibility="private")
    await f.favourite(session, me.account_id, secret)
    await f.bookmark(session, me.account_id, secret)
    await session.commit()
    for url in ("/api/v1/favourites", "/api/v1/bookmarks"):
        assert (await client.get(url, headers=me.headers)).json() == []


async def test_favourites__auth_and_scopes(client, make_user):
    other = await make_user("other", scopes="read:statuses")
    for url in ("/api/v1/favourites", "/api/v1/bookmarks"):
        assert (await client.get(url)).status_code == 401
        assert (await client.get(url, headers=other.headers)).status_code == 403


async def test_favourites__bad_paging__400(client, make_user):
    me = await make_user("me")
    r = await client.get("/api/v1/bookmarks", params={"max_id": "x"}, headers=me.headers)
    assert r.status_code == 400
