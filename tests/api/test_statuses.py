"""Mastodon statuses API: posting, reading, editing, deleting, threads, and the interactions
on a status; bad input gets its 4xx and writes nothing; hidden statuses stay hidden."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from chaupal.db import Base
from chaupal.models import Account, Block, Follow, Status

# --- helpers -------------------------------------------------------------------------------


async def row_counts(app: Any) -> dict[str, Any]:
    """Every table's row count plus the counters, to show a refused request changed nothing."""
    out: dict[str, Any] = {}
    async with app.state.sessions() as s:
        for table in Base.metadata.sorted_tables:
            out[table.name] = await s.scalar(select(func.count()).select_from(table))
        out["account_counters"] = sorted(
            (
                await s.execute(select(Account.id, Account.statuses_count, Account.last_status_at))
            ).all()
        )
        out["status_counters"] = sorted(
            (
                await s.execute(
                    select(
                        Status.id,
                        Status.replies_count,
                        Status.reblogs_count,
                        Status.favourites_count,
                        Status.text,
                        Status.edited_at,
                    )
                )
            ).all()
        )
    return out


async def follow(app: Any, follower: Any, target: Any) -> None:
    async with app.state.sessions() as s:
        s.add(Follow(account_id=follower.account_id, target_account_id=target.account_id))
        await s.commit()


async def block(app: Any, blocker: Any, target: Any) -> None:
    async with app.state.sessions() as s:
        s.add(Block(account_id=blocker.account_id, target_account_id=target.account_id))
        await s.commit()


@pytest.fixture
def post(client: Any) -> Any:
    async def _post(user: Any, status: str = "Hello", **fields: Any) -> dict[str, Any]:
        r = await client.post(
            "/api/v1/statuses", json={"status": status, **fields}, headers=user.headers
        )
        assert r.status_code == 200, r.text
        return r.json()

    return _post


async def get_account(client: Any, user: Any) -> dict[str, Any]:
    r = await client.get(f"/api/v1/accounts/{user.account_id}")
    if r.status_code == 200:
        return r.json()
    r = await client.get("/api/v1/accounts/verify_credentials", headers=user.headers)
    return r.json()


# --- create --------------------------------------------------------------------------------


async def test_create_status__mention_hashtag_link__rendered_like_mastodon(client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    s = await post(alice, "Hi @bob and @nobody, see https://example.org/a?b=1 #Civic #भारत")
    assert s["account"]["id"] == str(alice.account_id)
    assert s["visibility"] == "public"
    assert [m["id"] for m in s["mentions"]] == [str(bob.account_id)]
    assert {t["name"] for t in s["tags"]} == {"Civic", "भारत"}
    assert 'class="u-url mention"' in s["content"]
    assert "@nobody" in s["content"] and "/@nobody" not in s["content"]
    assert 'href="https://example.org/a?b=1"' in s["content"]
    assert 'class="mention hashtag" rel="tag">#<span>भारत</span>' in s["content"]
    assert s["text"] is None
    assert s["uri"].endswith(f"/statuses/{s['id']}")
    assert s["favourited"] is False and s["reblogged"] is False and s["pinned"] is False


async def test_create_status__notifies_mentioned_account(client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    s = await post(alice, "@bob look")
    r = await client.get("/api/v1/notifications", headers=bob.headers)
    if r.status_code == 200:  # the notifications endpoint belongs to the timelines engineer
        assert [(n["type"], n["status"]["id"]) for n in r.json()] == [("mention", s["id"])]


async def test_create_status__form_encoded__works(client, make_user):
    alice = await make_user("alice")
    r = await client.post(
        "/api/v1/statuses",
        data={"status": "form post", "sensitive": "true", "visibility": "unlisted"},
        headers=alice.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["sensitive"] is True and r.json()["visibility"] == "unlisted"


async def test_create_status__spoiler__makes_sensitive(make_user, post):
    alice = await make_user("alice")
    s = await post(alice, "ending", spoiler_text="spoilers")
    assert s["spoiler_text"] == "spoilers" and s["sensitive"] is True


async def test_create_status__default_visibility_from_user_setting(app, make_user, post):
    from chaupal.models import User

    alice = await make_user("alice")
    async with app.state.sessions() as s:
        user = await s.get(User, alice.user_id)
        user.default_visibility = "unlisted"
        await s.commit()
    assert (await post(alice, "x"))["visibility"] == "unlisted"


async def test_create_status__counts_author_statuses(client, make_user, post):
    alice = await make_user("alice")
    await post(alice, "one")
    await post(alice, "two")
    await post(alice, "secret @alice", visibility="direct")  # direct posts are not counted
    r = await client.get("/api/v1/accounts/verify_credentials", headers=alice.headers)
    if r.status_code == 200:
        assert r.json()["statuses_count"] == 2
        assert r.json()["last_status_at"] is not None


async def test_create_status__idempotency_key__returns_same_status(app, client, make_user):
    alice = await make_user("alice")
    headers = {**alice.headers, "Idempotency-Key": "abc-123"}
    r1 = await client.post("/api/v1/statuses", json={"status": "once"}, headers=headers)
    before = await row_counts(app)
    r2 = await client.post("/api/v1/statuses", json={"status": "once"}, headers=headers)
    assert r1.status_code == r2.status_code == 200
    assert r1.json()["id"] == r2.json()["id"]
    assert await row_counts(app) == before
    r3 = await client.post(
        "/api/v1/statuses",
        json={"status": "once"},
        headers={**alice.headers, "Idempotency-Key": "other"},
    )
    assert r3.json()["id"] != r1.json()["id"]


async def test_create_status__idempotency_key_replay__shows_viewer_marks_made_since(client, make_user):
    """A new post is rendered without asking for favourites or bookmarks (none can exist);
    a replayed Idempotency-Key returns the old post, which is rendered with them."""
    alice = await make_user("alice")
    headers = {**alice.headers, "Idempotency-Key": "marks"}
    r1 = await client.post("/api/v1/statuses", json={"status": "once"}, headers=headers)
    assert r1.json()["favourited"] is False and r1.json()["bookmarked"] is False
    sid = r1.json()["id"]
    await client.post(f"/api/v1/statuses/{sid}/favourite", headers=alice.headers)
    await client.post(f"/api/v1/statuses/{sid}/bookmark", headers=alice.headers)
    r2 = await client.post("/api/v1/statuses", json={"status": "once"}, headers=headers)
    assert r2.json()["id"] == sid
    assert r2.json()["favourited"] is True and r2.json()["bookmarked"] is True
    assert r2.json()["favourites_count"] == 1


async def test_create_status__idempotency_key__per_account(client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    r1 = await client.post(
        "/api/v1/statuses", json={"status": "a"}, headers={**alice.headers, "Idempotency-Key": "k"}
    )
    r2 = await client.post(
        "/api/v1/statuses", json={"status": "b"}, headers={**bob.headers, "Idempotency-Key": "k"}
    )
    assert r1.json()["id"] != r2.json()["id"]
    assert r2.json()["account"]["id"] == str(bob.account_id)


async def test_create_status__reply__sets_thread_and_counts(client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    root = await post(alice, "root")
    reply = await post(bob, "reply", in_reply_to_id=root["id"])
    assert reply["in_reply_to_id"] == root["id"]
    assert reply["in_reply_to_account_id"] == str(alice.account_id)
    r = await client.get(f"/api/v1/statuses/{root['id']}")
    assert r.json()["replies_count"] == 1


BAD_BODIES = [
    ({"status": ""}, 422, "Text can't be blank"),
    ({"status": "   \n  "}, 422, "Text can't be blank"),
    ({}, 422, "Text can't be blank"),
    ({"status": "x" * 501}, 422, "character limit"),
    ({"status": "ok", "spoiler_text": "s" * 501}, 422, "limit"),
    ({"status": "x" * 300, "spoiler_text": "s" * 201}, 422, "character limit"),
    ({"status": "hi", "visibility": "sideways"}, 422, "Visibility"),
    ({"status": 123}, 422, "status"),
    ({"status": ["a"]}, 422, "status"),
    ({"status": "hi", "sensitive": "maybe"}, 422, "sensitive"),
    ({"status": "hi", "in_reply_to_id": "999999"}, 404, "Record not found"),
    ({"status": "hi", "in_reply_to_id": "abc"}, 404, "Record not found"),
    ({"status": "hi", "media_ids": ["1"]}, 404, "Record not found"),  # no such upload
    ({"status": "hi", "poll": {"options": ["a", "b"], "expires_in": 300}}, 422, "not supported"),
    ({"status": "hi", "scheduled_at": "next tuesday"}, 422, "not a valid datetime"),
    ({"status": "#" + "a" * 101}, 422, "Hashtag is too long"),
]


@pytest.mark.parametrize(("body", "code", "message"), BAD_BODIES)
async def test_create_status__bad_input__4xx_and_nothing_written(
    app, client, make_user, body, code, message
):
    alice = await make_user("alice")
    before = await row_counts(app)
    r = await client.post("/api/v1/statuses", json=body, headers=alice.headers)
    assert r.status_code == code, r.text
    assert message in r.json()["error"]
    assert await row_counts(app) == before


async def test_create_status__malformed_json__400_and_nothing_written(app, client, make_user):
    alice = await make_user("alice")
    before = await row_counts(app)
    r = await client.post(
        "/api/v1/statuses",
        content=b'{"status": "x"',
        headers={**alice.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and "error" in r.json()
    assert await row_counts(app) == before


async def test_create_status__too_many_mentions__422(app, client, make_user, settings):
    alice = await make_user("alice")
    settings.max_mentions_per_status = 2
    before = await row_counts(app)
    r = await client.post("/api/v1/statuses", json={"status": "@a @b @c"}, headers=alice.headers)
    assert r.status_code == 422 and "Too many mentions" in r.json()["error"]
    assert await row_counts(app) == before
    r = await client.post("/api/v1/statuses", json={"status": "@a @b @A"}, headers=alice.headers)
    assert r.status_code == 200  # the same account twice is one mention


async def test_create_status__too_many_hashtags__422(app, client, make_user, settings):
    alice = await make_user("alice")
    settings.max_hashtags_per_status = 2
    before = await row_counts(app)
    r = await client.post("/api/v1/statuses", json={"status": "#a #b #c"}, headers=alice.headers)
    assert r.status_code == 422 and "Too many hashtags" in r.json()["error"]
    assert await row_counts(app) == before


async def test_create_status__max_status_chars_setting__enforced(client, make_user, settings):
    alice = await make_user("alice")
    settings.max_status_chars = 10
    r = await client.post("/api/v1/statuses", json={"status": "x" * 11}, headers=alice.headers)
    assert r.status_code == 422
    r = await client.post("/api/v1/statuses", json={"status": "x" * 10}, headers=alice.headers)
    assert r.status_code == 200


async def test_create_status__url_counts_23_chars(client, make_user, settings):
    alice = await make_user("alice")
    settings.max_status_chars = 30
    long_url = "https://example.org/" + "p" * 100
    r = await client.post(
        "/api/v1/statuses", json={"status": f"look {long_url}"}, headers=alice.headers
    )
    assert r.status_code == 200, r.text  # 5 + 23 = 28


async def test_create_status__missing_token__401(app, client):
    before = await row_counts(app)
    r = await client.post("/api/v1/statuses", json={"status": "hi"})
    assert r.status_code == 401 and "error" in r.json()
    assert await row_counts(app) == before


async def test_create_status__read_only_token__403(app, client, make_user):
    alice = await make_user("alice", scopes="read")
    before = await row_counts(app)
    r = await client.post("/api/v1/statuses", json={"status": "hi"}, headers=alice.headers)
    assert r.status_code == 403
    assert await row_counts(app) == before


async def test_create_status__reply_to_hidden_status__404(app, client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    secret = await post(alice, "followers only", visibility="private")
    before = await row_counts(app)
    r = await client.post(
        "/api/v1/statuses",
        json={"status": "hi", "in_reply_to_id": secret["id"]},
        headers=bob.headers,
    )
    assert r.status_code == 404
    assert await row_counts(app) == before


# --- read ----------------------------------------------------------------------------------


async def test_get_status__public_without_token(client, make_user, post):
    alice = await make_user("alice")
    s = await post(alice, "hello world")
    r = await client.get(f"/api/v1/statuses/{s['id']}")
    assert r.status_code == 200 and r.json()["content"] == "<p>hello world</p>"
    assert "favourited" not in r.json()


@pytest.mark.parametrize("bad", ["999999999", "abc", "-1", "99999999999999999999999"])
async def test_get_status__unknown_id__404(client, bad):
    r = await client.get(f"/api/v1/statuses/{bad}")
    assert r.status_code == 404 and r.json() == {"error": "Record not found"}


async def test_get_status__private__only_author_and_followers(app, client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    carol = await make_user("carol")
    await follow(app, carol, alice)
    s = await post(alice, "followers only", visibility="private")
    assert (await client.get(f"/api/v1/statuses/{s['id']}")).status_code == 404
    assert (await client.get(f"/api/v1/statuses/{s['id']}", headers=bob.headers)).status_code == 404
    assert (
        await client.get(f"/api/v1/statuses/{s['id']}", headers=carol.headers)
    ).status_code == 200
    assert (
        await client.get(f"/api/v1/statuses/{s['id']}", headers=alice.headers)
    ).status_code == 200


async def test_get_status__direct__only_mentioned(app, client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    carol = await make_user("carol")
    await follow(app, carol, alice)
    s = await post(alice, "@bob psst", visibility="direct")
    assert (await client.get(f"/api/v1/statuses/{s['id']}", headers=bob.headers)).status_code == 200
    assert (
        await client.get(f"/api/v1/statuses/{s['id']}", headers=carol.headers)
    ).status_code == 404
    assert (await client.get(f"/api/v1/statuses/{s['id']}")).status_code == 404


async def test_get_status__author_blocked_viewer__404(app, client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    s = await post(alice, "public")
    await block(app, alice, bob)
    assert (await client.get(f"/api/v1/statuses/{s['id']}", headers=bob.headers)).status_code == 404


async def test_get_statuses__many__visible_ones_in_order(client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    a = await post(alice, "a")
    b = await post(alice, "b")
    hidden = await post(alice, "h", visibility="private")
    r = await client.get(
        "/api/v1/statuses",
        params=[("id[]", b["id"]), ("id[]", hidden["id"]), ("id[]", "zzz"), ("id[]", a["id"])],
        headers=bob.headers,
    )
    assert r.status_code == 200
    assert [s["id"] for s in r.json()] == [b["id"], a["id"]]


async def test_get_statuses__too_many_ids__422(client, settings):
    params = [("id[]", str(i)) for i in range(settings.page_statuses_max + 1)]
    r = await client.get("/api/v1/statuses", params=params)
    assert r.status_code == 422


async def test_get_status__read_wrong_scope__403(client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob", scopes="write")
    s = await post(alice, "x")
    r = await client.get(f"/api/v1/statuses/{s['id']}", headers=bob.headers)
    assert r.status_code == 403


# --- delete --------------------------------------------------------------------------------


async def test_delete_status__returns_source_and_removes_everything(app, client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    s = await post(alice, "bye @bob #gone")
    for action in ("favourite", "reblog", "bookmark"):
        assert (
            await client.post(f"/api/v1/statuses/{s['id']}/{action}", headers=bob.headers)
        ).status_code == 200
    assert (
        await client.post(f"/api/v1/statuses/{s['id']}/pin", headers=alice.headers)
    ).status_code == 200
    r = await client.delete(f"/api/v1/statuses/{s['id']}", headers=alice.headers)
    assert r.status_code == 200
    assert r.json()["text"] == "bye @bob #gone" and r.json()["id"] == s["id"]
    assert (await client.get(f"/api/v1/statuses/{s['id']}")).status_code == 404
    counts = await row_counts(app)
    for table in (
        "statuses",
        "mentions",
        "status_tags",
        "favourites",
        "bookmarks",
        "status_pins",
        "notifications",
    ):
        assert counts[table] == 0, table
    assert all(count == 0 for _, count, _ in counts["account_counters"])


async def test_delete_status__reply__decrements_parent(client, make_user, post):
    alice = await make_user("alice")
    root = await post(alice, "root")
    reply = await post(alice, "reply", in_reply_to_id=root["id"])
    await client.delete(f"/api/v1/statuses/{reply['id']}", headers=alice.headers)
    assert (await client.get(f"/api/v1/statuses/{root['id']}")).json()["replies_count"] == 0


async def test_delete_status__other_users_post__404_and_nothing_written(
    app, client, make_user, post
):
    alice = await make_user("alice")
    bob = await make_user("bob")
    s = await post(alice, "mine")
    before = await row_counts(app)
    r = await client.delete(f"/api/v1/statuses/{s['id']}", headers=bob.headers)
    assert r.status_code == 404
    assert await row_counts(app) == before


async def test_delete_status__missing_token__401(client, make_user, post):
    alice = await make_user("alice")
    s = await post(alice, "mine")
    assert (await client.delete(f"/api/v1/statuses/{s['id']}")).status_code == 401


async def test_delete_status__unknown__404(client, make_user):
    alice = await make_user("alice")
    assert (await client.delete("/api/v1/statuses/12345", headers=alice.headers)).status_code == 404


# --- edit, history, source -----------------------------------------------------------------


async def test_edit_status__records_history_with_original_first(client, make_user, post):
    alice = await make_user("alice")
    s = await post(alice, "first #one")
    r = await client.put(
        f"/api/v1/statuses/{s['id']}", json={"status": "second #two"}, headers=alice.headers
    )
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["edited_at"] is not None and edited["content"].startswith("<p>second")
    assert [t["name"] for t in edited["tags"]] == ["two"]
    r = await client.put(
        f"/api/v1/statuses/{s['id']}",
        json={"status": "third", "spoiler_text": "cw"},
        headers=alice.headers,
    )
    assert r.json()["sensitive"] is True
    history = (await client.get(f"/api/v1/statuses/{s['id']}/history")).json()
    assert [h["content"][:8] for h in history] == ["<p>first", "<p>secon", "<p>third"]
    assert history[0]["created_at"] == s["created_at"]
    assert set(history[0]) >= {
        "content",
        "spoiler_text",
        "sensitive",
        "created_at",
        "account",
        "media_attachments",
        "emojis",
    }
    source = (await client.get(f"/api/v1/statuses/{s['id']}/source", headers=alice.headers)).json()
    assert source == {"id": s["id"], "text": "third", "spoiler_text": "cw"}


async def test_history__unedited__one_version(client, make_user, post):
    alice = await make_user("alice")
    s = await post(alice, "only")
    history = (await client.get(f"/api/v1/statuses/{s['id']}/history")).json()
    assert len(history) == 1 and history[0]["content"] == "<p>only</p>"


async def test_edit_status__no_change__no_history(client, make_user, post):
    alice = await make_user("alice")
    s = await post(alice, "same")
    r = await client.put(
        f"/api/v1/statuses/{s['id']}", json={"status": "same"}, headers=alice.headers
    )
    assert r.json()["edited_at"] is None


async def test_edit_status__new_mention_notified_and_rebloggers_get_update(client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    carol = await make_user("carol")
    s = await post(alice, "hello")
    await client.post(f"/api/v1/statuses/{s['id']}/reblog", headers=bob.headers)
    r = await client.put(
        f"/api/v1/statuses/{s['id']}", json={"status": "hello @carol"}, headers=alice.headers
    )
    assert [m["username"] for m in r.json()["mentions"]] == ["carol"]
    rb = await client.get("/api/v1/notifications", headers=bob.headers)
    rc = await client.get("/api/v1/notifications", headers=carol.headers)
    if rb.status_code == 200 and rc.status_code == 200:
        assert "update" in [n["type"] for n in rb.json()]
        assert [n["type"] for n in rc.json()] == ["mention"]


async def test_edit_status__other_users_post__404_and_nothing_written(app, client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    s = await post(alice, "mine")
    before = await row_counts(app)
    r = await client.put(
        f"/api/v1/statuses/{s['id']}", json={"status": "yours"}, headers=bob.headers
    )
    assert r.status_code == 404
    assert await row_counts(app) == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"status": ""}, 422),
        ({"status": "x" * 501}, 422),
        ({"status": 5}, 422),
        ({"status": "x", "media_ids": ["1"]}, 404),  # no such upload
    ],
)
async def test_edit_status__bad_input__4xx_and_nothing_written(
    app, client, make_user, post, body, code
):
    alice = await make_user("alice")
    s = await post(alice, "mine")
    before = await row_counts(app)
    r = await client.put(f"/api/v1/statuses/{s['id']}", json=body, headers=alice.headers)
    assert r.status_code == code
    assert await row_counts(app) == before


async def test_source__other_users_post__404(client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    s = await post(alice, "mine")
    assert (
        await client.get(f"/api/v1/statuses/{s['id']}/source", headers=bob.headers)
    ).status_code == 404
    assert (await client.get(f"/api/v1/statuses/{s['id']}/source")).status_code == 401


async def test_history__private__hidden_from_non_follower(client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    s = await post(alice, "mine", visibility="private")
    assert (
        await client.get(f"/api/v1/statuses/{s['id']}/history", headers=bob.headers)
    ).status_code == 404


# --- context -------------------------------------------------------------------------------


async def test_context__ancestors_and_descendants_depth_first(client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    root = await post(alice, "root")
    a = await post(bob, "a", in_reply_to_id=root["id"])
    b = await post(alice, "b", in_reply_to_id=root["id"])
    a1 = await post(alice, "a1", in_reply_to_id=a["id"])
    a1x = await post(bob, "a1x", in_reply_to_id=a1["id"])
    b1 = await post(bob, "b1", in_reply_to_id=b["id"])
    r = await client.get(f"/api/v1/statuses/{root['id']}/context")
    assert r.json()["ancestors"] == []
    assert [s["id"] for s in r.json()["descendants"]] == [
        a["id"],
        a1["id"],
        a1x["id"],
        b["id"],
        b1["id"],
    ]
    r = await client.get(f"/api/v1/statuses/{a1x['id']}/context", headers=bob.headers)
    assert [s["id"] for s in r.json()["ancestors"]] == [root["id"], a["id"], a1["id"]]
    assert r.json()["descendants"] == []


async def test_context__hidden_replies_left_out(app, client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    carol = await make_user("carol")
    root = await post(alice, "root")
    private = await post(bob, "private reply", in_reply_to_id=root["id"], visibility="private")
    direct = await post(bob, "@carol direct reply", in_reply_to_id=root["id"], visibility="direct")
    public = await post(bob, "public reply", in_reply_to_id=root["id"])
    r = await client.get(f"/api/v1/statuses/{root['id']}/context", headers=alice.headers)
    assert [s["id"] for s in r.json()["descendants"]] == [public["id"]]
    r = await client.get(f"/api/v1/statuses/{root['id']}/context", headers=carol.headers)
    assert [s["id"] for s in r.json()["descendants"]] == [direct["id"], public["id"]]
    await follow(app, alice, bob)
    r = await client.get(f"/api/v1/statuses/{root['id']}/context", headers=alice.headers)
    assert [s["id"] for s in r.json()["descendants"]] == [private["id"], public["id"]]
    r = await client.get(f"/api/v1/statuses/{private['id']}/context", headers=carol.headers)
    assert r.status_code == 404


async def test_context__anonymous_limit_setting__enforced(client, make_user, post, settings):
    alice = await make_user("alice")
    root = await post(alice, "root")
    for i in range(3):
        await post(alice, f"r{i}", in_reply_to_id=root["id"])
    settings.context_descendants_limit_anonymous = 2
    r = await client.get(f"/api/v1/statuses/{root['id']}/context")
    assert len(r.json()["descendants"]) == 2
    r = await client.get(f"/api/v1/statuses/{root['id']}/context", headers=alice.headers)
    assert len(r.json()["descendants"]) == 3


# --- favourite, reblog, bookmark, pin ------------------------------------------------------


async def test_favourite__idempotent_counts_and_notifies(app, client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    s = await post(alice, "like me")
    r1 = await client.post(f"/api/v1/statuses/{s['id']}/favourite", headers=bob.headers)
    r2 = await client.post(f"/api/v1/statuses/{s['id']}/favourite", headers=bob.headers)
    assert r1.status_code == r2.status_code == 200
    assert r2.json()["favourited"] is True and r2.json()["favourites_count"] == 1
    counts = await row_counts(app)
    assert counts["favourites"] == 1 and counts["notifications"] == 1
    r = await client.post(f"/api/v1/statuses/{s['id']}/unfavourite", headers=bob.headers)
    assert r.json()["favourited"] is False and r.json()["favourites_count"] == 0
    counts = await row_counts(app)
    assert counts["favourites"] == 0 and counts["notifications"] == 0


async def test_favourited_by__paged_with_link(client, make_user, post):
    alice = await make_user("alice")
    fans = [await make_user(f"fan{i}") for i in range(3)]
    s = await post(alice, "popular")
    for fan in fans:
        await client.post(f"/api/v1/statuses/{s['id']}/favourite", headers=fan.headers)
    r = await client.get(f"/api/v1/statuses/{s['id']}/favourited_by", params={"limit": 2})
    assert [a["username"] for a in r.json()] == ["fan2", "fan1"]
    assert 'rel="next"' in r.headers["link"]
    next_url = r.headers["link"].split(">")[0].lstrip("<")
    r = await client.get(next_url)
    assert [a["username"] for a in r.json()] == ["fan0"]


async def test_reblog__returns_wrapper_and_second_is_same(app, client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    s = await post(alice, "boost me")
    r1 = await client.post(f"/api/v1/statuses/{s['id']}/reblog", headers=bob.headers)
    assert r1.status_code == 200
    rb = r1.json()
    assert rb["reblog"]["id"] == s["id"] and rb["reblog"]["reblogged"] is True
    assert rb["reblog"]["reblogs_count"] == 1 and rb["account"]["id"] == str(bob.account_id)
    r2 = await client.post(f"/api/v1/statuses/{s['id']}/reblog", headers=bob.headers)
    assert r2.json()["id"] == rb["id"]
    r = await client.get(f"/api/v1/statuses/{s['id']}/reblogged_by")
    assert [a["username"] for a in r.json()] == ["bob"]
    r = await client.post(f"/api/v1/statuses/{s['id']}/unreblog", headers=bob.headers)
    assert (
        r.json()["id"] == s["id"]
        and r.json()["reblogged"] is False
        and r.json()["reblogs_count"] == 0
    )
    assert (await row_counts(app))["statuses"] == 1


async def test_reblog__others_private_post__403_and_nothing_written(app, client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    await follow(app, bob, alice)
    s = await post(alice, "followers only", visibility="private")
    before = await row_counts(app)
    r = await client.post(f"/api/v1/statuses/{s['id']}/reblog", headers=bob.headers)
    assert r.status_code == 403
    assert await row_counts(app) == before


async def test_reblog__own_private_post__stays_private(client, make_user, post):
    alice = await make_user("alice")
    s = await post(alice, "mine", visibility="private")
    r = await client.post(f"/api/v1/statuses/{s['id']}/reblog", headers=alice.headers)
    assert r.status_code == 200 and r.json()["visibility"] == "private"


async def test_reblog__bad_visibility__422(app, client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    s = await post(alice, "x")
    before = await row_counts(app)
    r = await client.post(
        f"/api/v1/statuses/{s['id']}/reblog", json={"visibility": "direct"}, headers=bob.headers
    )
    assert r.status_code == 422
    assert await row_counts(app) == before


async def test_delete_status__removes_reblogs_and_decrements(app, client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    s = await post(alice, "boost me")
    rb = (await client.post(f"/api/v1/statuses/{s['id']}/reblog", headers=bob.headers)).json()
    assert (await get_account(client, bob))["statuses_count"] == 1
    r = await client.delete(f"/api/v1/statuses/{s['id']}", headers=alice.headers)
    assert r.status_code == 200
    assert (await client.get(f"/api/v1/statuses/{rb['id']}")).status_code == 404
    assert (await get_account(client, bob))["statuses_count"] == 0
    assert (await row_counts(app))["statuses"] == 0


async def test_delete_reblog__decrements_original(client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    s = await post(alice, "boost me")
    rb = (await client.post(f"/api/v1/statuses/{s['id']}/reblog", headers=bob.headers)).json()
    r = await client.delete(f"/api/v1/statuses/{rb['id']}", headers=bob.headers)
    assert r.status_code == 200
    assert (await client.get(f"/api/v1/statuses/{s['id']}")).json()["reblogs_count"] == 0


async def test_bookmark__and_unbookmark(client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    s = await post(alice, "save me")
    r = await client.post(f"/api/v1/statuses/{s['id']}/bookmark", headers=bob.headers)
    assert r.json()["bookmarked"] is True
    r = await client.post(f"/api/v1/statuses/{s['id']}/bookmark", headers=bob.headers)
    assert r.status_code == 200
    r = await client.post(f"/api/v1/statuses/{s['id']}/unbookmark", headers=bob.headers)
    assert r.json()["bookmarked"] is False


async def test_bookmark__needs_bookmark_scope(client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob", scopes="read write:favourites")
    s = await post(alice, "x")
    assert (
        await client.post(f"/api/v1/statuses/{s['id']}/bookmark", headers=bob.headers)
    ).status_code == 403
    assert (
        await client.post(f"/api/v1/statuses/{s['id']}/favourite", headers=bob.headers)
    ).status_code == 200


async def test_pin__own_posts_up_to_max_pins(app, client, make_user, post, settings):
    alice = await make_user("alice")
    bob = await make_user("bob")
    settings.max_pins = 2
    posts = [await post(alice, f"p{i}") for i in range(3)]
    for s in posts[:2]:
        r = await client.post(f"/api/v1/statuses/{s['id']}/pin", headers=alice.headers)
        assert r.status_code == 200 and r.json()["pinned"] is True
    before = await row_counts(app)
    r = await client.post(f"/api/v1/statuses/{posts[2]['id']}/pin", headers=alice.headers)
    assert r.status_code == 422 and "maximum" in r.json()["error"]
    r = await client.post(f"/api/v1/statuses/{posts[0]['id']}/pin", headers=bob.headers)
    assert r.status_code == 422
    assert await row_counts(app) == before
    r = await client.post(f"/api/v1/statuses/{posts[0]['id']}/unpin", headers=alice.headers)
    assert r.json()["pinned"] is False


async def test_pin__direct_or_reblog__422(client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    d = await post(alice, "@bob hi", visibility="direct")
    assert (
        await client.post(f"/api/v1/statuses/{d['id']}/pin", headers=alice.headers)
    ).status_code == 422
    s = await post(bob, "x")
    rb = (await client.post(f"/api/v1/statuses/{s['id']}/reblog", headers=alice.headers)).json()
    assert (
        await client.post(f"/api/v1/statuses/{rb['id']}/pin", headers=alice.headers)
    ).status_code == 422


async def test_pin__needs_write_accounts_scope(client, make_user, post):
    alice = await make_user("alice", scopes="read write:statuses")
    s = await post(alice, "x")
    assert (
        await client.post(f"/api/v1/statuses/{s['id']}/pin", headers=alice.headers)
    ).status_code == 403


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "/context"),
        ("get", "/history"),
        ("get", "/favourited_by"),
        ("get", "/reblogged_by"),
        ("post", "/favourite"),
        ("post", "/reblog"),
        ("post", "/bookmark"),
        ("post", "/unfavourite"),
        ("post", "/unreblog"),
        ("post", "/unbookmark"),
        ("post", "/pin"),
    ],
)
async def test_private_status__hidden_from_non_follower_everywhere(
    app, client, make_user, post, method, suffix
):
    alice = await make_user("alice")
    bob = await make_user("bob")
    s = await post(alice, "followers only", visibility="private")
    before = await row_counts(app)
    r = await getattr(client, method)(f"/api/v1/statuses/{s['id']}{suffix}", headers=bob.headers)
    assert r.status_code == 404, r.text
    assert await row_counts(app) == before
    r = await getattr(client, method)(f"/api/v1/statuses/{s['id']}{suffix}")
    assert r.status_code in (401, 404)


@pytest.mark.parametrize("suffix", ["/favourite", "/reblog", "/bookmark", "/pin", "/unpin"])
async def test_interactions__missing_token__401(client, make_user, post, suffix):
    alice = await make_user("alice")
    s = await post(alice, "x")
    assert (await client.post(f"/api/v1/statuses/{s['id']}{suffix}")).status_code == 401


@pytest.mark.parametrize("suffix", ["/favourite", "/reblog", "/bookmark", "/pin", "/unfavourite"])
async def test_interactions__unknown_id__404(client, make_user, suffix):
    alice = await make_user("alice")
    assert (
        await client.post(f"/api/v1/statuses/4242{suffix}", headers=alice.headers)
    ).status_code == 404


async def test_direct_status__interactions_only_for_mentioned(client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    carol = await make_user("carol")
    d = await post(alice, "@bob secret", visibility="direct")
    assert (
        await client.post(f"/api/v1/statuses/{d['id']}/favourite", headers=carol.headers)
    ).status_code == 404
    assert (
        await client.post(f"/api/v1/statuses/{d['id']}/favourite", headers=bob.headers)
    ).status_code == 200
    assert (
        await client.post(f"/api/v1/statuses/{d['id']}/reblog", headers=bob.headers)
    ).status_code == 403
    r = await client.get(f"/api/v1/statuses/{d['id']}/favourited_by", headers=carol.headers)
    assert r.status_code == 404


async def test_reblog_of_hidden_original__hidden_too(app, client, make_user, post):
    alice = await make_user("alice")
    bob = await make_user("bob")
    carol = await make_user("carol")
    s = await post(alice, "public")
    rb = (await client.post(f"/api/v1/statuses/{s['id']}/reblog", headers=carol.headers)).json()
    assert (
        await client.get(f"/api/v1/statuses/{rb['id']}", headers=bob.headers)
    ).status_code == 200
    await block(app, alice, bob)
    assert (
        await client.get(f"/api/v1/statuses/{rb['id']}", headers=bob.headers)
    ).status_code == 404
    r = await client.get("/api/v1/statuses", params={"id[]": rb["id"]}, headers=bob.headers)
    assert r.json() == []
    r = await client.get("/api/v1/statuses", params={"id[]": rb["id"]})
    assert [x["id"] for x in r.json()] == [rb["id"]]
