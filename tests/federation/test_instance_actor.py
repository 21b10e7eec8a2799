"""The instance actor (`GET /actor`, Mastodon's): an Application with its own key, served
unsigned; every outgoing ActivityPub GET carries a signature by it that our own verifier
accepts."""

from __future__ import annotations

from sqlalchemy import func, select

from chaupal.federation import fetch, httpsig, instance_actor, remote
from chaupal.models import Account
from tests.federation.fake_remote import FakeRemote

AS = {"Accept": "application/activity+json"}


async def test_instance_actor__application_with_key__made_once(client, session):
    r = await client.get("/actor")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/activity+json")
    doc = r.json()
    assert doc["id"] == "http://chaupal.test/actor"
    assert doc["type"] == "Application"
    assert doc["preferredUsername"] == "chaupal.test"
    assert doc["manuallyApprovesFollowers"] is True
    assert doc["publicKey"]["id"] == "http://chaupal.test/actor#main-key"
    assert doc["publicKey"]["owner"] == doc["id"]
    assert doc["inbox"] == "http://chaupal.test/inbox"
    again = (await client.get("/actor", headers=AS)).json()
    assert again["publicKey"]["publicKeyPem"] == doc["publicKey"]["publicKeyPem"]
    rows = await session.scalar(
        select(func.count()).select_from(Account).where(Account.username_lower == "instance.actor")
    )
    assert rows == 1
    # The stored row is no user's profile: not served as /users/instance.actor.
    assert (await client.get("/users/instance.actor", headers=AS)).status_code == 404


def _actor_doc(base: str) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{base}/users/bob",
        "type": "Person",
        "preferredUsername": "bob",
        "inbox": f"{base}/users/bob/inbox",
    }


async def test_outgoing_get__signed_by_instance_actor__verifies(app, client, settings):
    settings.federation_allow_http_loopback = True
    async with FakeRemote() as server:
        server.json("/users/bob", _actor_doc(server.base))
        server.json(
            "/.well-known/webfinger",
            {"subject": "acct:bob@x", "links": []},
            content_type="application/jrd+json",
        )
        data = await remote.fetch_actor(settings, f"{server.base}/users/bob")
        await fetch.fetch_json(settings, f"{server.base}/.well-known/webfinger?resource=acct:bob@x")
    assert data.username == "bob"
    actor = (await client.get("/actor")).json()

    async def resolve(kid: str) -> str | None:
        return actor["publicKey"]["publicKeyPem"] if kid == actor["publicKey"]["id"] else None

    assert len(server.requests) == 2
    for request in server.requests:
        assert request.method == "GET" and "signature" in request.headers
        key = await httpsig.verify_request(
            settings, "GET", request.path, request.headers, b"", resolve,
            expected_host=f"127.0.0.1:{server.port}",
        )
        assert key == "http://chaupal.test/actor#main-key"


async def test_outgoing_get__no_app__unsigned(settings):
    settings.federation_allow_http_loopback = True
    assert instance_actor.cached_signer(settings) is None
    async with FakeRemote() as server:
        server.json("/users/bob", _actor_doc(server.base))
        await fetch.fetch_object(settings, f"{server.base}/users/bob")
    assert "signature" not in server.requests[0].headers


async def test_webfinger__domain_at_domain__instance_actor(client):
    r = await client.get("/.well-known/webfinger?resource=acct:chaupal.test@chaupal.test")
    assert r.status_code == 200
    doc = r.json()
    assert doc["subject"] == "acct:chaupal.test@chaupal.test"
    self_link = next(link for link in doc["links"] if link["rel"] == "self")
    assert self_link == {"rel": "self", "type": "application/activity+json",
                         "href": "http://chaupal.test/actor"}
