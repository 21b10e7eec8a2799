"""Accounts API: reading accounts, their statuses and follow lists, and changing relationships."""

from __future__ import annotations

import unicodedata

import pytest

from chaupal.models import Follow, Mute, Notification
from tests.api.relation_helpers import (
    account,
    count,
    follow_all_pages,
    next_link,
    post,
    set_fields,
    snapshot,
)


@pytest.fixture
async def alice(make_user):
    return await make_user("alice")


@pytest.fixture
async def bob(make_user):
    return await make_user("bob")


# --- reading accounts -------------------------------------------------------------------------


async def test_get_account__public_without_token(client, alice):
    resp = await client.get(f"/api/v1/accounts/{alice.account_id}")
    assert resp.status_code == 200
    body = resp.json()
    assert (body["id"], body["username"], body["acct"]) == (str(alice.account_id), "alice", "alice")


@pytest.mark.parametrize("bad_id", ["999", "abc", "-1", "99999999999999999999999"])
async def test_get_account__unknown_id__404(client, alice, bad_id):
    resp = await client.get(f"/api/v1/accounts/{bad_id}", headers=alice.headers)
    assert resp.status_code == 404
    assert resp.json() == {"error": "Record not found"}


async def test_get_account__suspended__404(client, app, alice, bob):
    from chaupal.db import utcnow

    await set_fields(app, bob.account_id, suspended_at=utcnow())
    resp = await client.get(f"/api/v1/accounts/{bob.account_id}")
    assert resp.status_code == 404


async def test_get_accounts__several_ids_in_order_unknown_left_out(client, alice, bob):
    resp = await client.get(
        "/api/v1/accounts", params=[("id[]", bob.account_id), ("id[]", "123"), ("id[]", alice.account_id)]
    )
    assert resp.status_code == 200
    assert [a["username"] for a in resp.json()] == ["bob", "alice"]


async def test_get_accounts__too_many_ids__422(client, settings, alice):
    params = [("id[]", str(i)) for i in range(1, settings.max_account_ids_per_request + 2)]
    resp = await client.get("/api/v1/accounts", params=params)
    assert resp.status_code == 422
    ok = await client.get("/api/v1/accounts", params=params[:-1])
    assert ok.status_code == 200


@pytest.mark.parametrize("acct", ["alice", "@alice", "ALICE", "alice@chaupal.test"])
async def test_lookup__finds_local_account(client, alice, acct):
    resp = await client.get("/api/v1/accounts/lookup", params={"acct": acct})
    assert resp.status_code == 200
    assert resp.json()["id"] == str(alice.account_id)


@pytest.mark.parametrize("acct", ["nobody", "alice@elsewhere.example", "", "@"])
async def test_lookup__missing__404(client, alice, acct):
    resp = await client.get("/api/v1/accounts/lookup", params={"acct": acct})
    assert resp.status_code == 404
    assert resp.json() == {"error": "Record not found"}


async def test_search__prefix_of_username_or_display_name_word(client, app, make_user, alice):
    await make_user("ramesh", display_name="Ramesh Kumar")
    await make_user("priya", display_name="Priya Ramachandran")
    await make_user("kumar")
    await make_user("other", display_name="Someone Else")

    async def names(q, **extra):
        resp = await client.get(
            "/api/v1/accounts/search", params={"q": q, **extra}, headers=alice.headers
        )
        assert resp.status_code == 200, resp.text
        return [a["username"] for a in resp.json()]

    assert sorted(await names("RAM")) == ["priya", "ramesh"]
    assert (await names("kumar"))[0] == "kumar"  # the exact username first
    assert sorted(await names("kumar")) == ["kumar", "ramesh"]
    assert await names("@ramesh@chaupal.test") == ["ramesh"]
    assert await names("ramesh@elsewhere.example") == []
    assert await names("amesh") == []
    assert await names("%") == []


async def test_search__nfc_and_case_insensitive(client, make_user, alice):
    await make_user("jose", display_name=unicodedata.normalize("NFC", "José Ñandú"))
    decomposed = unicodedata.normalize("NFD", "José")
    resp = await client.get(
        "/api/v1/accounts/search", params={"q": decomposed}, headers=alice.headers
    )
    assert [a["username"] for a in resp.json()] == ["jose"]


async def test_search__following_limit_offset(client, make_user, alice):
    for name in ("dev1", "dev2", "dev3"):
        user = await make_user(name)
        if name != "dev2":
            await client.post(f"/api/v1/accounts/{user.account_id}/follow", headers=alice.headers)
    resp = await client.get(
        "/api/v1/accounts/search", params={"q": "dev", "following": "true"}, headers=alice.headers
    )
    assert sorted(a["username"] for a in resp.json()) == ["dev1", "dev3"]
    first = await client.get(
        "/api/v1/accounts/search", params={"q": "dev", "limit": 2}, headers=alice.headers
    )
    rest = await client.get(
        "/api/v1/accounts/search", params={"q": "dev", "limit": 2, "offset": 2}, headers=alice.headers
    )
    got = [a["username"] for a in first.json() + rest.json()]
    assert len(first.json()) == 2 and sorted(got) == ["dev1", "dev2", "dev3"]


@pytest.mark.parametrize("params", [{"q": "a", "limit": "x"}, {"q": "a", "offset": "-1"}, {"q": "a", "limit": "0"}])
async def test_search__bad_values__422(client, alice, params):
    resp = await client.get("/api/v1/accounts/search", params=params, headers=alice.headers)
    assert resp.status_code == 422
    assert "error" in resp.json()


async def test_search__no_token__401(client, alice):
    resp = await client.get("/api/v1/accounts/search", params={"q": "alice"})
    assert resp.status_code == 401


# --- an account's statuses ----------------------------------------------------------------------


async def test_account_statuses__private_only_for_followers(client, app, make_user, alice, bob):
    public = await post(app, alice.account_id, "public")
    private = await post(app, alice.account_id, "followers only", visibility="private")
    url = f"/api/v1/accounts/{alice.account_id}/statuses"

    anonymous = await client.get(url)
    stranger = await client.get(url, headers=bob.headers)
    for resp in (anonymous, stranger):
        assert resp.status_code == 200
        assert [s["id"] for s in resp.json()] == [str(public.id)]

    await client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    follower = await client.get(url, headers=bob.headers)
    assert [s["id"] for s in follower.json()] == [str(private.id), str(public.id)]
    own = await client.get(url, headers=alice.headers)
    assert len(own.json()) == 2


async def test_account_statuses__direct_only_for_mentioned(client, app, make_user, alice, bob):
    from chaupal.models import Mention
    from tests.api.relation_helpers import db

    carol = await make_user("carol")
    direct = await post(app, alice.account_id, "@bob psst", visibility="direct")
    async with db(app) as s:
        s.add(Mention(status_id=direct.id, account_id=bob.account_id))
    url = f"/api/v1/accounts/{alice.account_id}/statuses"
    assert [s["id"] for s in (await client.get(url, headers=bob.headers)).json()] == [str(direct.id)]
    await client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=carol.headers)
    assert (await client.get(url, headers=carol.headers)).json() == []
    assert (await client.get(url)).json() == []


async def test_account_statuses__filters(client, app, alice, bob):
    other = await post(app, bob.account_id, "bob's post")
    root = await post(app, alice.account_id, "thread start #Chaupal", tags=("chaupal",), pinned=True)
    self_reply = await post(app, alice.account_id, "thread continues", reply_to=root)
    reply = await post(app, alice.account_id, "reply to bob", reply_to=other)
    reblog = await post(app, alice.account_id, reblog_of=other)
    url = f"/api/v1/accounts/{alice.account_id}/statuses"

    async def ids(**params):
        resp = await client.get(url, params=params, headers=bob.headers)
        assert resp.status_code == 200, resp.text
        return [s["id"] for s in resp.json()]

    assert await ids() == [str(reblog.id), str(reply.id), str(self_reply.id), str(root.id)]
    # Mastodon keeps self-replies (threads) when excluding replies.
    assert await ids(exclude_replies="true") == [str(reblog.id), str(self_reply.id), str(root.id)]
    assert await ids(exclude_reblogs="true") == [str(reply.id), str(self_reply.id), str(root.id)]
    assert await ids(pinned="true") == [str(root.id)]
    assert await ids(tagged="CHAUPAL") == [str(root.id)]
    assert await ids(tagged="#chaupal") == [str(root.id)]
    assert await ids(tagged="nothing") == []
    assert await ids(only_media="true") == []  # no status has media before issue 3
    resp = await client.get(url, headers=bob.headers)
    assert resp.json()[0]["reblog"]["id"] == str(other.id)


async def test_account_statuses__reblog_of_hidden_post_left_out(client, app, make_user, alice, bob):
    carol = await make_user("carol")
    secret = await post(app, carol.account_id, "followers only", visibility="private")
    # A reblog row pointing at a post bob may not see (not something the API lets you create,
    # but the read path must not leak it either way).
    await post(app, alice.account_id, reblog_of=secret)
    resp = await client.get(f"/api/v1/accounts/{alice.account_id}/statuses", headers=bob.headers)
    assert resp.json() == []


async def test_account_statuses__blocked_viewer_sees_nothing(client, app, alice, bob):
    await post(app, alice.account_id, "hello")
    await client.post(f"/api/v1/accounts/{bob.account_id}/block", headers=alice.headers)
    resp = await client.get(f"/api/v1/accounts/{alice.account_id}/statuses", headers=bob.headers)
    assert resp.json() == []


async def test_account_statuses__paging_with_link(client, app, alice):
    made = [await post(app, alice.account_id, f"post {i}") for i in range(5)]
    pages = await follow_all_pages(client, f"/api/v1/accounts/{alice.account_id}/statuses?limit=2")
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i for p in pages for i in p] == [str(s.id) for s in reversed(made)]


@pytest.mark.parametrize("query", ["max_id=abc", "limit=zero", "limit=-3", "since_id=1.5"])
async def test_account_statuses__bad_paging__400(client, alice, query):
    resp = await client.get(f"/api/v1/accounts/{alice.account_id}/statuses?{query}")
    assert resp.status_code == 400
    assert "error" in resp.json()


async def test_account_statuses__unknown_account__404(client, alice):
    resp = await client.get("/api/v1/accounts/12345/statuses")
    assert resp.status_code == 404


# --- followers and following --------------------------------------------------------------------


async def test_followers_and_following__paged_by_follow_with_link(client, make_user, alice):
    fans = [await make_user(f"fan{i}") for i in range(5)]
    for fan in fans:
        resp = await client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=fan.headers)
        assert resp.status_code == 200
    pages = await follow_all_pages(client, f"/api/v1/accounts/{alice.account_id}/followers?limit=2")
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i for p in pages for i in p] == [str(f.account_id) for f in reversed(fans)]
    following = await client.get(f"/api/v1/accounts/{fans[0].account_id}/following")
    assert [a["id"] for a in following.json()] == [str(alice.account_id)]


async def test_followers__hide_collections__hidden_from_others_not_self(client, app, alice, bob):
    await client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    await set_fields(app, alice.account_id, hide_collections=True)
    url = f"/api/v1/accounts/{alice.account_id}/followers"
    assert (await client.get(url)).json() == []
    assert (await client.get(url, headers=bob.headers)).json() == []
    assert [a["id"] for a in (await client.get(url, headers=alice.headers)).json()] == [str(bob.account_id)]


async def test_followers__bad_paging__400(client, alice):
    resp = await client.get(f"/api/v1/accounts/{alice.account_id}/followers?max_id=x")
    assert resp.status_code == 400


# --- follow and unfollow ------------------------------------------------------------------------


async def test_follow__returns_relationship_and_counts(client, app, alice, bob):
    resp = await client.post(
        f"/api/v1/accounts/{bob.account_id}/follow",
        data={"reblogs": "false", "notify": "true", "languages[]": ["en", "hi"]},
        headers=alice.headers,
    )
    assert resp.status_code == 200
    rel = resp.json()
    assert rel["id"] == str(bob.account_id)
    assert (rel["following"], rel["showing_reblogs"], rel["notifying"]) == (True, False, True)
    assert rel["languages"] == ["en", "hi"] and rel["requested"] is False
    assert (await account(app, bob.account_id)).followers_count == 1
    assert (await account(app, alice.account_id)).following_count == 1
    seen_by_bob = await client.get(
        "/api/v1/accounts/relationships", params={"id[]": alice.account_id}, headers=bob.headers
    )
    assert seen_by_bob.json()[0]["followed_by"] is True


async def test_follow__json_body(client, alice, bob):
    resp = await client.post(
        f"/api/v1/accounts/{bob.account_id}/follow", json={"reblogs": False}, headers=alice.headers
    )
    assert resp.status_code == 200
    assert resp.json()["showing_reblogs"] is False


async def test_follow__locked_account__requested(client, app, alice, make_user):
    locked = await make_user("locked", locked=True)
    resp = await client.post(f"/api/v1/accounts/{locked.account_id}/follow", headers=alice.headers)
    assert resp.json()["requested"] is True and resp.json()["following"] is False
    assert (await account(app, locked.account_id)).followers_count == 0
    assert await count(app, Notification, Notification.type == "follow_request") == 1


async def test_follow__blocked__403_and_unchanged(client, app, alice, bob):
    await client.post(f"/api/v1/accounts/{alice.account_id}/block", headers=bob.headers)
    before = await snapshot(app)
    resp = await client.post(f"/api/v1/accounts/{bob.account_id}/follow", headers=alice.headers)
    assert resp.status_code == 403
    assert resp.json() == {"error": "This action is not allowed"}
    assert await snapshot(app) == before


async def test_follow__self__422_and_unchanged(client, app, alice):
    before = await snapshot(app)
    resp = await client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=alice.headers)
    assert resp.status_code == 422
    assert await snapshot(app) == before


@pytest.mark.parametrize(
    "body",
    [{"reblogs": "maybe"}, {"notify": "sometimes"}, {"languages[]": "not a code"}],
)
async def test_follow__wrong_types__422_and_unchanged(client, app, alice, bob, body):
    before = await snapshot(app)
    resp = await client.post(f"/api/v1/accounts/{bob.account_id}/follow", data=body, headers=alice.headers)
    assert resp.status_code == 422
    assert "error" in resp.json()
    assert await snapshot(app) == before


async def test_follow__malformed_json__400_and_unchanged(client, app, alice, bob):
    before = await snapshot(app)
    resp = await client.post(
        f"/api/v1/accounts/{bob.account_id}/follow",
        content=b"{not json",
        headers={**alice.headers, "Content-Type": "application/json"},
    )
    assert resp.status_code == 400
    assert await snapshot(app) == before


async def test_follow__unknown_account__404_and_unchanged(client, app, alice):
    before = await snapshot(app)
    resp = await client.post("/api/v1/accounts/4242/follow", headers=alice.headers)
    assert resp.status_code == 404
    assert await snapshot(app) == before


async def test_follow__missing_token__401_and_unchanged(client, app, bob):
    before = await snapshot(app)
    resp = await client.post(f"/api/v1/accounts/{bob.account_id}/follow")
    assert resp.status_code == 401
    assert await snapshot(app) == before


@pytest.mark.parametrize(
    "path,scopes",
    [
        ("follow", "read"),
        ("follow", "write:statuses"),
        ("unfollow", "read"),
        ("block", "write:follows"),
        ("mute", "write:blocks"),
        ("remove_from_followers", "read write:mutes"),
    ],
)
async def test_relationship_writes__wrong_scope__403_and_unchanged(client, app, make_user, bob, path, scopes):
    reader = await make_user("reader", scopes=scopes)
    before = await snapshot(app)
    resp = await client.post(f"/api/v1/accounts/{bob.account_id}/{path}", headers=reader.headers)
    assert resp.status_code == 403
    assert await snapshot(app) == before


@pytest.mark.parametrize("scopes", ["follow", "write", "write:follows"])
async def test_follow__scopes_that_allow_it(client, make_user, bob, scopes):
    user = await make_user("follower", scopes=scopes)
    resp = await client.post(f"/api/v1/accounts/{bob.account_id}/follow", headers=user.headers)
    assert resp.status_code == 200


async def test_unfollow__counters_back_to_zero_idempotent(client, app, alice, bob):
    await client.post(f"/api/v1/accounts/{bob.account_id}/follow", headers=alice.headers)
    for _ in range(2):
        resp = await client.post(f"/api/v1/accounts/{bob.account_id}/unfollow", headers=alice.headers)
        assert resp.status_code == 200 and resp.json()["following"] is False
    assert (await account(app, bob.account_id)).followers_count == 0
    assert (await account(app, alice.account_id)).following_count == 0
    assert await count(app, Notification) == 0


async def test_remove_from_followers(client, app, alice, bob):
    await client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    resp = await client.post(
        f"/api/v1/accounts/{bob.account_id}/remove_from_followers", headers=alice.headers
    )
    assert resp.status_code == 200 and resp.json()["followed_by"] is False
    assert await count(app, Follow) == 0
    assert (await account(app, alice.account_id)).followers_count == 0


# --- block and mute -----------------------------------------------------------------------------


async def test_block__ends_follows_both_ways_counters_right(client, app, alice, bob):
    await client.post(f"/api/v1/accounts/{bob.account_id}/follow", headers=alice.headers)
    await client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    resp = await client.post(f"/api/v1/accounts/{bob.account_id}/block", headers=alice.headers)
    assert resp.status_code == 200
    rel = resp.json()
    assert (rel["blocking"], rel["following"], rel["followed_by"]) == (True, False, False)
    for user in (alice, bob):
        acc = await account(app, user.account_id)
        assert (acc.followers_count, acc.following_count) == (0, 0)
    other_side = await client.get(
        "/api/v1/accounts/relationships", params={"id[]": alice.account_id}, headers=bob.headers
    )
    assert other_side.json()[0]["blocked_by"] is True
    resp = await client.post(f"/api/v1/accounts/{bob.account_id}/unblock", headers=alice.headers)
    assert resp.json()["blocking"] is False


async def test_mute__with_duration_and_notifications_flag(client, app, alice, bob):
    resp = await client.post(
        f"/api/v1/accounts/{bob.account_id}/mute",
        data={"notifications": "false", "duration": "3600"},
        headers=alice.headers,
    )
    assert resp.status_code == 200
    rel = resp.json()
    assert (rel["muting"], rel["muting_notifications"]) == (True, False)
    assert rel["muting_expires_at"] is not None
    resp = await client.post(f"/api/v1/accounts/{bob.account_id}/mute", headers=alice.headers)
    assert (resp.json()["muting_notifications"], resp.json()["muting_expires_at"]) == (True, None)
    resp = await client.post(f"/api/v1/accounts/{bob.account_id}/unmute", headers=alice.headers)
    assert resp.json()["muting"] is False
    assert await count(app, Mute) == 0


async def test_mute__suppresses_notifications_from_muted(client, app, alice, bob):
    await client.post(f"/api/v1/accounts/{bob.account_id}/mute", headers=alice.headers)
    await client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    assert await count(app, Follow) == 1
    assert await count(app, Notification) == 0


@pytest.mark.parametrize("duration", ["-5", "soon", "1.5"])
async def test_mute__bad_duration__422_and_unchanged(client, app, alice, bob, duration):
    before = await snapshot(app)
    resp = await client.post(
        f"/api/v1/accounts/{bob.account_id}/mute", data={"duration": duration}, headers=alice.headers
    )
    assert resp.status_code == 422
    assert await snapshot(app) == before


async def test_mute__duration_over_setting__422(client, app, settings, alice, bob):
    too_long = settings.max_mute_duration_seconds + 1
    resp = await client.post(
        f"/api/v1/accounts/{bob.account_id}/mute", data={"duration": str(too_long)}, headers=alice.headers
    )
    assert resp.status_code == 422
    assert await count(app, Mute) == 0
    resp = await client.post(
        f"/api/v1/accounts/{bob.account_id}/mute",
        data={"duration": str(settings.max_mute_duration_seconds)},
        headers=alice.headers,
    )
    assert resp.status_code == 200


# --- relationships, familiar followers, featured tags, lists ------------------------------------


async def test_relationships__order_unknown_left_out(client, make_user, alice, bob):
    locked = await make_user("locked", locked=True)
    await client.post(f"/api/v1/accounts/{locked.account_id}/follow", headers=alice.headers)
    resp = await client.get(
        "/api/v1/accounts/relationships",
        params=[("id[]", locked.account_id), ("id[]", "999"), ("id[]", "x"), ("id[]", bob.account_id)],
        headers=alice.headers,
    )
    assert resp.status_code == 200
    rels = resp.json()
    assert [r["id"] for r in rels] == [str(locked.account_id), str(bob.account_id)]
    assert rels[0]["requested"] is True and rels[1]["requested"] is False
    single = await client.get(
        "/api/v1/accounts/relationships", params={"id": bob.account_id}, headers=alice.headers
    )
    assert [r["id"] for r in single.json()] == [str(bob.account_id)]


async def test_relationships__needs_read_follows(client, make_user, bob):
    limited = await make_user("limited", scopes="read:statuses")
    resp = await client.get(
        "/api/v1/accounts/relationships", params={"id[]": bob.account_id}, headers=limited.headers
    )
    assert resp.status_code == 403
    assert (await client.get("/api/v1/accounts/relationships")).status_code == 401


async def test_familiar_followers(client, app, make_user, alice, bob):
    carol = await make_user("carol")
    dave = await make_user("dave")
    # alice follows carol and dave; carol and dave follow bob; dave hides his collections.
    for friend in (carol, dave):
        await client.post(f"/api/v1/accounts/{friend.account_id}/follow", headers=alice.headers)
        await client.post(f"/api/v1/accounts/{bob.account_id}/follow", headers=friend.headers)
    await set_fields(app, dave.account_id, hide_collections=True)
    resp = await client.get(
        "/api/v1/accounts/familiar_followers",
        params=[("id[]", bob.account_id), ("id[]", carol.account_id)],
        headers=alice.headers,
    )
    assert resp.status_code == 200
    assert [(r["id"], [a["username"] for a in r["accounts"]]) for r in resp.json()] == [
        (str(bob.account_id), ["carol"]),
        (str(carol.account_id), []),
    ]


async def test_featured_tags_and_lists__honestly_empty(client, make_user, alice, bob):
    resp = await client.get(f"/api/v1/accounts/{bob.account_id}/featured_tags")
    assert resp.status_code == 200 and resp.json() == []
    resp = await client.get(f"/api/v1/accounts/{bob.account_id}/lists", headers=alice.headers)
    assert resp.status_code == 200 and resp.json() == []
    no_lists = await make_user("nolists", scopes="read:accounts")
    resp = await client.get(f"/api/v1/accounts/{bob.account_id}/lists", headers=no_lists.headers)
    assert resp.status_code == 403
    assert (await client.get("/api/v1/accounts/77/featured_tags")).status_code == 404
    assert (await client.get("/api/v1/accounts/77/lists", headers=alice.headers)).status_code == 404


async def test_link_header__keeps_other_params(client, app, alice):
    for i in range(3):
        await post(app, alice.account_id, f"p{i}")
    resp = await client.get(
        f"/api/v1/accounts/{alice.account_id}/statuses", params={"limit": 1, "exclude_replies": "true"}
    )
    link = next_link(resp)
    assert link is not None and "exclude_replies=true" in link and "max_id=" in link
