"""Home, public and hashtag timelines over the API: composition, visibility, paging, auth."""

from __future__ import annotations

from tests.feeds.factories import follow_api, post, walk


async def test_home__follows_and_self_newest_first(client, make_user):
    me, bob, carol = [await make_user(n) for n in ("me", "bob", "carol")]
    await follow_api(client, me, bob)
    mine = await post(client, me, "mine")
    bobs = await post(client, bob, "bob's")
    await post(client, carol, "not followed")
    r = await client.get("/api/v1/timelines/home", headers=me.headers)
    assert r.status_code == 200
    assert [s["id"] for s in r.json()] == [bobs["id"], mine["id"]]


async def test_home__reblog_of_a_stranger_by_a_followed_account(client, make_user):
    me, bob, carol = [await make_user(n) for n in ("me", "bob", "carol")]
    await follow_api(client, me, bob)
    original = await post(client, carol, "worth sharing")
    r = await client.post(f"/api/v1/statuses/{original['id']}/reblog", headers=bob.headers)
    assert r.status_code == 200
    home = (await client.get("/api/v1/timelines/home", headers=me.headers)).json()
    assert [s["reblog"]["id"] for s in home] == [original["id"]]


async def test_home__paging_both_ways_via_link_headers(client, make_user):
    me = await make_user("me")
    ids = [(await post(client, me, f"post {i}"))["id"] for i in range(7)]
    pages = await walk(client, "/api/v1/timelines/home", me, "next", {"limit": 3})
    assert pages == [ids[6:3:-1], ids[3:0:-1], ids[0:1]]
    pages = await walk(client, "/api/v1/timelines/home", me, "prev", {"limit": 3, "min_id": ids[0]})
    assert [i for page in pages for i in page] == [ids[3], ids[2], ids[1], ids[6], ids[5], ids[4]]


async def test_home__since_id_returns_newest_above_it(client, make_user):
    me = await make_user("me")
    ids = [(await post(client, me, f"post {i}"))["id"] for i in range(5)]
    r = await client.get(
        "/api/v1/timelines/home", params={"since_id": ids[1], "limit": 2}, headers=me.headers
    )
    assert [s["id"] for s in r.json()] == [ids[4], ids[3]]


async def test_home__bad_paging_values__400(client, make_user):
    me = await make_user("me")
    for params in (
        {"limit": "x"},
        {"limit": "0"},
        {"max_id": "abc"},
        {"since_id": "-1"},
        {"min_id": str(2**64)},
    ):
        r = await client.get("/api/v1/timelines/home", params=params, headers=me.headers)
        assert r.status_code == 400, params
        assert "error" in r.json()


async def test_home__limit_clamped_to_setting(client, make_user, settings):
    me = await make_user("me")
    for i in range(3):
        await post(client, me, f"post {i}")
    settings.page_statuses_max = 2
    r = await client.get("/api/v1/timelines/home", params={"limit": 40}, headers=me.headers)
    assert len(r.json()) == 2


async def test_home__missing_token_401_wrong_scope_403(client, make_user):
    writer = await make_user("writer", scopes="write")
    assert (await client.get("/api/v1/timelines/home")).status_code == 401
    assert (await client.get("/api/v1/timelines/home", headers=writer.headers)).status_code == 403


async def test_public__public_only_no_reblogs_replies_included(client, make_user):
    me, bob = await make_user("me"), await make_user("bob")
    public = await post(client, bob, "public")
    await post(client, bob, "unlisted", visibility="unlisted")
    await post(client, bob, "private", visibility="private")
    reply = await post(client, me, "reply", in_reply_to_id=public["id"])
    await client.post(f"/api/v1/statuses/{public['id']}/reblog", headers=me.headers)
    for headers in ({}, me.headers):
        r = await client.get("/api/v1/timelines/public", headers=headers)
        assert r.status_code == 200
        assert [s["id"] for s in r.json()] == [reply["id"], public["id"]]


async def test_public__local_remote_and_only_media(client, make_user):
    bob = await make_user("bob")
    local = await post(client, bob, "local")
    r = await client.get("/api/v1/timelines/public", params={"local": "true"})
    assert [s["id"] for s in r.json()] == [local["id"]]
    assert (await client.get("/api/v1/timelines/public", params={"remote": "true"})).json() == []
    # No media attachments exist until issue 3, so only_media is honestly empty.
    assert (
        await client.get("/api/v1/timelines/public", params={"only_media": "true"})
    ).json() == []


async def test_public__paging_until_exhausted(client, make_user):
    bob = await make_user("bob")
    ids = [(await post(client, bob, f"p{i}"))["id"] for i in range(5)]
    pages = await walk(client, "/api/v1/timelines/public", None, "next", {"limit": 2})
    assert [i for p in pages for i in p] == ids[::-1]


async def test_tag__devanagari_and_case_insensitive(client, make_user):
    bob = await make_user("bob")
    hindi = await post(client, bob, "स्वच्छ अभियान #भारत")
    latin = await post(client, bob, "Jai #India")
    await post(client, bob, "private #भारत", visibility="private")
    await post(client, bob, "unlisted #भारत", visibility="unlisted")
    r = await client.get("/api/v1/timelines/tag/भारत")
    assert [s["id"] for s in r.json()] == [hindi["id"]]
    r = await client.get("/api/v1/timelines/tag/INDIA")
    assert [s["id"] for s in r.json()] == [latin["id"]]


async def test_tag__any_all_none(client, make_user):
    bob = await make_user("bob")
    a = await post(client, bob, "#one")
    ab = await post(client, bob, "#one #two")
    c = await post(client, bob, "#three")
    get = client.get
    r = await get("/api/v1/timelines/tag/one", params={"any[]": ["three"]})
    assert [s["id"] for s in r.json()] == [c["id"], ab["id"], a["id"]]
    r = await get("/api/v1/timelines/tag/one", params={"all[]": ["two"]})
    assert [s["id"] for s in r.json()] == [ab["id"]]
    r = await get("/api/v1/timelines/tag/one", params={"none[]": ["two"]})
    assert [s["id"] for s in r.json()] == [a["id"]]
    assert (await get("/api/v1/timelines/tag/nosuchtag")).json() == []


async def test_tag_entity__history_counts_today(client, make_user):
    bob, carol = await make_user("bob"), await make_user("carol")
    await post(client, bob, "#भारत one")
    await post(client, bob, "#भारत two")
    await post(client, carol, "#भारत three")
    r = await client.get("/api/v1/tags/भारत")
    assert r.status_code == 200
    tag = r.json()
    assert tag["name"] == "भारत" and tag["following"] is False
    assert len(tag["history"]) == 7
    assert tag["history"][0]["uses"] == "3" and tag["history"][0]["accounts"] == "2"
    assert (await client.get("/api/v1/tags/nosuchtag")).status_code == 404


async def test_private_post_of_unfollowed_never_in_timelines(client, make_user):
    me, bob = await make_user("me"), await make_user("bob")
    await post(client, bob, "secret #hidden", visibility="private")
    for url in (
        "/api/v1/timelines/home",
        "/api/v1/timelines/public",
        "/api/v1/timelines/tag/hidden",
    ):
        r = await client.get(url, headers=me.headers)
        assert r.json() == [], url
