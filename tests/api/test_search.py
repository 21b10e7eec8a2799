"""Search v2: accounts and hashtags by prefix; full-text statuses in Hindi, Hinglish and
English through SQLite FTS5 / PostgreSQL full text, only ever what the caller may see."""

from __future__ import annotations

from tests.feeds import factories as f
from tests.feeds.factories import follow_api, post


async def _search(client, user, **params):
    r = await client.get("/api/v2/search", params=params, headers=user.headers if user else {})
    assert r.status_code == 200, r.text
    return r.json()


async def test_statuses__hindi_word_with_matras_and_virama(client, make_user):
    me, bob = await make_user("me"), await make_user("bob")
    hit = await post(client, bob, "स्वच्छ भारत अभियान आज से शुरू")
    await post(client, bob, "कृपया ध्यान दें")
    body = await _search(client, me, q="स्वच्छ", type="statuses")
    assert [s["id"] for s in body["statuses"]] == [hit["id"]]
    body = await _search(client, me, q="भारत अभियान", type="statuses")
    assert [s["id"] for s in body["statuses"]] == [hit["id"]]
    assert (await _search(client, me, q="सवचछ", type="statuses"))["statuses"] == []


async def test_statuses__hinglish_and_english_prefix_case_insensitive(client, make_user):
    me, bob = await make_user("me"), await make_user("bob")
    hinglish = await post(client, bob, "Swachh Bharat abhiyan ko support karo!")
    english = await post(client, bob, "Budget announcements today")
    assert [s["id"] for s in (await _search(client, me, q="swachh"))["statuses"]] == [
        hinglish["id"]
    ]
    assert [s["id"] for s in (await _search(client, me, q="ABHIY"))["statuses"]] == [hinglish["id"]]
    assert [s["id"] for s in (await _search(client, me, q="announce"))["statuses"]] == [
        english["id"]
    ]


async def test_statuses__edits_and_deletes_keep_the_index_in_step(client, make_user):
    me = await make_user("me")
    s = await post(client, me, "pehla shabd")
    r = await client.put(
        f"/api/v1/statuses/{s['id']}", json={"status": "doosra shabd"}, headers=me.headers
    )
    assert r.status_code == 200, r.text
    assert (await _search(client, me, q="pehla"))["statuses"] == []
    assert [x["id"] for x in (await _search(client, me, q="doosra"))["statuses"]] == [s["id"]]
    assert (
        await client.delete(f"/api/v1/statuses/{s['id']}", headers=me.headers)
    ).status_code == 200
    assert (await _search(client, me, q="doosra"))["statuses"] == []


async def test_statuses__private_post_never_leaks(client, make_user):
    me, bob, follower = [await make_user(n) for n in ("me", "bob", "follower")]
    await follow_api(client, follower, bob)
    secret = await post(client, bob, "gupt yojana", visibility="private")
    await post(client, bob, "gupt sandesh", visibility="direct")
    assert (await _search(client, me, q="gupt"))["statuses"] == []
    assert [s["id"] for s in (await _search(client, follower, q="gupt"))["statuses"]] == [
        secret["id"]
    ]
    assert len((await _search(client, bob, q="gupt"))["statuses"]) == 2


async def test_statuses__need_a_signed_in_user(client, make_user):
    bob = await make_user("bob")
    await post(client, bob, "khula sandesh")
    body = await _search(client, None, q="khula")
    assert body["statuses"] == []


async def test_statuses__blocked_author_and_account_id_filter(client, make_user, session):
    me, bob, carol = [await make_user(n) for n in ("me", "bob", "carol")]
    await post(client, bob, "mausam accha")
    carols = await post(client, carol, "mausam kharab")
    only = await _search(client, me, q="mausam", account_id=str(carol.account_id))
    assert [s["id"] for s in only["statuses"]] == [carols["id"]]
    await f.block(session, me.account_id, bob.account_id)
    await session.commit()
    assert [s["id"] for s in (await _search(client, me, q="mausam"))["statuses"]] == [carols["id"]]


async def test_statuses__paging_with_limit_and_offset(client, make_user, settings):
    me = await make_user("me")
    ids = [(await post(client, me, f"yatra {i}"))["id"] for i in range(5)]
    first = await _search(client, me, q="yatra", type="statuses", limit=2)
    assert [s["id"] for s in first["statuses"]] == [ids[4], ids[3]]
    second = await _search(client, me, q="yatra", type="statuses", limit=2, offset=2)
    assert [s["id"] for s in second["statuses"]] == [ids[2], ids[1]]
    older = await _search(client, me, q="yatra", type="statuses", max_id=ids[1])
    assert [s["id"] for s in older["statuses"]] == [ids[0]]
    settings.search_max_results = 3
    assert len((await _search(client, me, q="yatra", limit=40))["statuses"]) == 3


async def test_accounts__prefix_on_username_and_display_name(client, make_user):
    me = await make_user("me")
    await make_user("ministry_of_health", display_name="स्वास्थ्य मंत्रालय")
    await make_user("ministry", display_name="Ministry")
    await make_user("other", display_name="Somebody")
    body = await _search(client, me, q="minis", type="accounts")
    assert [a["username"] for a in body["accounts"]] == ["ministry", "ministry_of_health"]
    body = await _search(client, me, q="@Ministry")
    assert body["accounts"][0]["username"] == "ministry" and body["statuses"] == []
    body = await _search(client, me, q="स्वास्थ्य", type="accounts")
    assert [a["username"] for a in body["accounts"]] == ["ministry_of_health"]


async def test_accounts__following_only(client, make_user):
    me, bob = await make_user("me"), await make_user("bob")
    await make_user("bobby")
    await follow_api(client, me, bob)
    body = await _search(client, me, q="bob", type="accounts", following="true")
    assert [a["username"] for a in body["accounts"]] == ["bob"]


async def test_hashtags__prefix_and_hash_query(client, make_user):
    me = await make_user("me")
    await post(client, me, "#भारत #भारतीय #India")
    body = await _search(client, me, q="#भारत")
    assert [t["name"] for t in body["hashtags"]] == ["भारत", "भारतीय"]
    assert body["accounts"] == [] and body["statuses"] == []
    assert body["hashtags"][0]["history"][0]["uses"] == "1"
    body = await _search(client, me, q="ind", type="hashtags")
    assert [t["name"] for t in body["hashtags"]] == ["India"]


async def test_bad_input(client, make_user):
    me = await make_user("me")
    assert (await client.get("/api/v2/search", headers=me.headers)).status_code == 400
    r = await client.get("/api/v2/search", params={"q": "x", "type": "bogus"}, headers=me.headers)
    assert r.status_code == 422
    r = await client.get("/api/v2/search", params={"q": "x", "limit": "many"}, headers=me.headers)
    assert r.status_code == 400
    r = await client.get("/api/v2/search", params={"q": "x", "offset": "-1"}, headers=me.headers)
    assert r.status_code == 422
    assert (await client.get("/api/v2/search", params={"q": "x", "offset": "1"})).status_code == 401
    assert (await client.get("/api/v1/search", params={"q": "x"})).status_code == 410


async def test_wrong_scope__403(client, make_user):
    writer = await make_user("writer", scopes="write")
    r = await client.get("/api/v2/search", params={"q": "x"}, headers=writer.headers)
    assert r.status_code == 403
