"""Local posts by their ActivityPub id: the Note, its Create, a boost's Announce."""

from __future__ import annotations

from sqlalchemy import select

from chaupal.models.federation import Tombstone
from tests.federation.test_render_fixtures import assert_matches

AS = {"Accept": "application/activity+json"}


async def _post(client, user, text, visibility="public", **extra):
    r = await client.post(
        "/api/v1/statuses",
        json={"status": text, "visibility": visibility, **extra},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    return r.json()["id"]


async def test_note__public_post__mastodon_shaped_note(client, make_user):
    alice = await make_user("alice")
    await make_user("bob")
    parent = await _post(client, alice, "first")
    sid = await _post(
        client, alice, "hi @bob #Budget", spoiler_text="cw", language="en", in_reply_to_id=parent
    )
    r = await client.get(f"/users/alice/statuses/{sid}", headers=AS)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/activity+json; charset=utf-8"
    doc = r.json()
    assert_matches("note", doc)
    assert doc["summary"] == "cw" and doc["sensitive"] is True
    assert doc["inReplyTo"] == f"http://chaupal.test/users/alice/statuses/{parent}"
    assert {t["type"] for t in doc["tag"]} == {"Mention", "Hashtag"}
    assert "http://chaupal.test/users/bob" in doc["cc"]


async def test_note__browser__redirects_to_post_page(client, make_user):
    alice = await make_user("alice")
    sid = await _post(client, alice, "hi")
    r = await client.get(f"/users/alice/statuses/{sid}")
    assert r.status_code == 302
    assert r.headers["location"] == f"http://chaupal.test/@alice/{sid}"


async def test_note__unlisted_served_private_direct_and_wrong_author_404(client, make_user):
    alice = await make_user("alice")
    await make_user("bob")
    unlisted = await _post(client, alice, "u", visibility="unlisted")
    assert (await client.get(f"/users/alice/statuses/{unlisted}", headers=AS)).status_code == 200
    for visibility in ("private", "direct"):
        sid = await _post(client, alice, "x @bob", visibility=visibility)
        r = await client.get(f"/users/alice/statuses/{sid}", headers=AS)
        assert r.status_code == 404, visibility
        r = await client.get(f"/users/alice/statuses/{sid}/activity", headers=AS)
        assert r.status_code == 404, visibility
    assert (await client.get(f"/users/bob/statuses/{unlisted}", headers=AS)).status_code == 404
    assert (await client.get("/users/alice/statuses/abc", headers=AS)).status_code == 404


async def test_activity__create_of_a_post_and_announce_of_a_boost(client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    sid = await _post(client, bob, "hello")
    doc = (await client.get(f"/users/bob/statuses/{sid}/activity", headers=AS)).json()
    assert_matches("create", doc)
    assert doc["id"] == f"http://chaupal.test/users/bob/statuses/{sid}/activity"
    boost = (await client.post(f"/api/v1/statuses/{sid}/reblog", headers=alice.headers)).json()
    ann = (await client.get(f"/users/alice/statuses/{boost['id']}/activity", headers=AS)).json()
    assert_matches("announce", ann)
    assert ann["object"] == f"http://chaupal.test/users/bob/statuses/{sid}"
    r = await client.get(f"/users/alice/statuses/{boost['id']}", headers=AS)
    assert r.status_code == 404  # a boost has no Note of its own


async def test_note__deleted_with_tombstone__410(client, make_user, session):
    alice = await make_user("alice")
    r = await client.post("/api/v1/statuses", json={"status": "soon gone"}, headers=alice.headers)
    sid, uri = r.json()["id"], r.json()["uri"]
    assert (
        await client.delete(f"/api/v1/statuses/{sid}", headers=alice.headers)
    ).status_code == 200
    if await session.scalar(select(Tombstone.id).where(Tombstone.uri == uri)) is None:
        session.add(Tombstone(uri=uri, account_id=alice.account_id))
    await session.commit()
    r = await client.get(f"/users/alice/statuses/{sid}", headers=AS)
    assert r.status_code == 410
    assert r.json() == {"@context": r.json()["@context"], "id": uri, "type": "Tombstone"}
    assert (
        await client.get(f"/users/alice/statuses/{sid}/activity", headers=AS)
    ).status_code == 410


async def test_post_url__activity_json__redirects_to_the_note(client, make_user):
    alice = await make_user("alice")
    sid = await _post(client, alice, "hi")
    r = await client.get(f"/@alice/{sid}", headers=AS)
    assert (r.status_code, r.headers["location"]) == (302, f"/users/alice/statuses/{sid}")
    assert (await client.get(f"/@alice/{sid}")).status_code == 200
