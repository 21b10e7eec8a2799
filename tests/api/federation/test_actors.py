"""`/users/{username}`: the actor for ActivityPub clients, a redirect for browsers, 410 when
suspended; the key pair is made on the first fetch and kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from chaupal.models import Account
from tests.federation.test_render_fixtures import assert_matches

AS = {"Accept": "application/activity+json"}
LD = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}


async def test_actor__activity_json__mastodon_shaped_person_with_key(client, make_user, session):
    await make_user(
        "alice",
        display_name="Alice",
        avatar_path="accounts/avatars/a.png",
        header_path="accounts/headers/h.jpg",
        fields=[{"name": "Site", "value": "https://alice.example"}],
    )
    r = await client.get("/users/alice", headers=AS)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/activity+json; charset=utf-8"
    doc = r.json()
    assert_matches("actor", doc)
    assert doc["id"] == "http://chaupal.test/users/alice"
    assert doc["inbox"] == "http://chaupal.test/users/alice/inbox"
    assert doc["endpoints"]["sharedInbox"] == "http://chaupal.test/inbox"
    assert doc["icon"] == {
        "type": "Image",
        "mediaType": "image/png",
        "url": "http://chaupal.test/system/accounts/avatars/a.png",
    }
    assert doc["image"]["mediaType"] == "image/jpeg"
    assert doc["attachment"] == [
        {"type": "PropertyValue", "name": "Site", "value": "https://alice.example"}
    ]
    stored = await session.scalar(select(Account.public_key).where(Account.username == "alice"))
    assert doc["publicKey"]["publicKeyPem"] == stored
    again = (await client.get("/users/ALICE", headers=LD)).json()
    assert again["publicKey"]["publicKeyPem"] == stored  # made once, then kept


async def test_actor__institution__organization_with_namespaced_verification(client, make_user):
    await make_user("finmin", kind="institution", verification="government")
    await make_user("newsbot", bot=True)
    doc = (await client.get("/users/finmin", headers=AS)).json()
    assert doc["type"] == "Organization"
    assert doc["verification"] == "government"
    terms = next(c for c in doc["@context"] if isinstance(c, dict))
    assert terms["verification"] == "chaupal:verification" and terms["chaupal"].startswith("urn:")
    assert (await client.get("/users/newsbot", headers=AS)).json()["type"] == "Service"


async def test_actor__browser__redirects_to_profile_page(client, make_user):
    await make_user("alice")
    r = await client.get("/users/alice", headers={"Accept": "text/html"})
    assert r.status_code == 302
    assert r.headers["location"] == "/@alice"


async def test_actor__suspended__410_tombstone(client, make_user):
    await make_user("gone", suspended_at=datetime(2026, 1, 1))
    r = await client.get("/users/gone", headers=AS)
    assert r.status_code == 410
    assert r.json()["type"] == "Tombstone"
    assert r.headers["content-type"] == "application/activity+json; charset=utf-8"


async def test_actor__unknown__404_error(client):
    r = await client.get("/users/nobody", headers=AS)
    assert r.status_code == 404 and "error" in r.json()


async def test_actor__two_first_fetches_at_once__one_key_served_to_both(client, make_user):
    import asyncio

    await make_user("alice")
    first, second = await asyncio.gather(
        client.get("/users/alice", headers=AS), client.get("/users/alice", headers=AS)
    )
    assert first.json()["publicKey"] == second.json()["publicKey"]


async def test_profile_url__activity_json__redirects_to_the_actor(client, make_user):
    """Mastodon users paste profile URLs; Mastodon fetches them asking for ActivityStreams."""
    await make_user("alice")
    r = await client.get("/@alice", headers=AS)
    assert (r.status_code, r.headers["location"]) == (302, "/users/alice")
    assert (await client.get("/@alice")).status_code == 200  # browsers still get the page
