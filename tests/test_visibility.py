"""Visibility holds on every read path: a private post never reaches a non-follower, a direct
post only reaches the accounts it mentions — through any endpoint, search or timeline."""

from __future__ import annotations

from typing import Any

import pytest

SECRET = "zebracrossing"  # a word that appears only in the hidden posts


def _ids(items: list[dict[str, Any]]) -> set[str]:
    out = set()
    for item in items:
        out.add(item["id"])
        if item.get("reblog"):
            out.add(item["reblog"]["id"])
        if item.get("status"):
            out.add(item["status"]["id"])
    return out


@pytest.fixture
async def world(client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")  # follows nobody
    carol = await make_user("carol")  # mentioned in the direct post
    dave = await make_user("dave")  # follows alice
    r = await client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=dave.headers)
    assert r.status_code == 200, r.text

    async def post(user: Any, **body: Any) -> dict[str, Any]:
        r = await client.post("/api/v1/statuses", json=body, headers=user.headers)
        assert r.status_code == 200, r.text
        return r.json()

    public = await post(alice, status="Hello #civic world")
    private = await post(alice, status=f"Followers only #civic {SECRET}", visibility="private")
    direct = await post(alice, status=f"@carol just you #civic {SECRET}", visibility="direct")
    reply = await post(
        alice, status=f"private reply #civic {SECRET}", visibility="private", in_reply_to_id=public["id"]
    )
    return {
        "users": {"alice": alice, "bob": bob, "carol": carol, "dave": dave},
        "public": public, "private": private, "direct": direct, "reply": reply,
    }


async def _seen_by(client: Any, world: dict[str, Any], user: Any | None) -> set[str]:
    """Every status ID the user can reach through the read paths."""
    headers = user.headers if user else {}
    alice_id = world["users"]["alice"].account_id
    seen: set[str] = set()
    for key in ("public", "private", "direct", "reply"):
        sid = world[key]["id"]
        r = await client.get(f"/api/v1/statuses/{sid}", headers=headers)
        if r.status_code == 200:
            seen.add(sid)
        else:
            assert r.status_code == 404, r.text
    r = await client.get(f"/api/v1/statuses/{world['public']['id']}/context", headers=headers)
    assert r.status_code == 200, r.text
    seen |= _ids(r.json()["descendants"])
    lists = [
        f"/api/v1/accounts/{alice_id}/statuses",
        "/api/v1/timelines/public",
        "/api/v1/timelines/tag/civic",
    ]
    if user:
        lists += ["/api/v1/timelines/home", "/api/v1/notifications", "/api/v1/favourites",
                  "/api/v1/bookmarks"]
    for url in lists:
        r = await client.get(url, headers=headers)
        assert r.status_code == 200, f"{url}: {r.text}"
        seen |= _ids(r.json())
    r = await client.get("/api/v2/search", params={"q": SECRET, "type": "statuses"}, headers=headers)
    if r.status_code == 200:
        seen |= _ids(r.json()["statuses"])
    return seen


async def test_private_and_direct_posts__never_reach_non_followers(client, world):
    hidden = {world["private"]["id"], world["direct"]["id"], world["reply"]["id"]}
    assert not (await _seen_by(client, world, world["users"]["bob"])) & hidden
    assert not (await _seen_by(client, world, None)) & hidden


async def test_private_posts__reach_followers_but_direct_only_mentioned(client, world):
    dave_sees = await _seen_by(client, world, world["users"]["dave"])
    assert {world["private"]["id"], world["reply"]["id"]} <= dave_sees
    assert world["direct"]["id"] not in dave_sees
    carol_sees = await _seen_by(client, world, world["users"]["carol"])
    assert world["direct"]["id"] in carol_sees
    assert world["private"]["id"] not in carol_sees


async def test_hidden_post__cannot_be_favourited_reblogged_or_bookmarked(client, world):
    bob = world["users"]["bob"]
    for action in ("favourite", "reblog", "bookmark"):
        r = await client.post(f"/api/v1/statuses/{world['private']['id']}/{action}", headers=bob.headers)
        assert r.status_code == 404, (action, r.text)
    for who in ("favourited_by", "reblogged_by"):
        r = await client.get(f"/api/v1/statuses/{world['private']['id']}/{who}", headers=bob.headers)
        assert r.status_code == 404, (who, r.text)


async def test_reply_to_hidden_post__404(client, world):
    bob = world["users"]["bob"]
    r = await client.post(
        "/api/v1/statuses",
        json={"status": "sneaky", "in_reply_to_id": world["private"]["id"]},
        headers=bob.headers,
    )
    assert r.status_code == 404
