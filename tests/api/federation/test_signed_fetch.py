"""Signed GETs of our ActivityStreams documents (issue 7: "verify every ... signed GET"), and
secure mode (`federation_authorized_fetch`, implied by allow-list mode)."""

from __future__ import annotations

from chaupal.federation import policy
from chaupal.federation.httpsig import sign_headers
from chaupal.models.federation import DomainAllow, DomainBlock
from tests.federation.inbox_helpers import RemoteActor, network  # noqa: F401

AS = {"Accept": "application/activity+json"}
BASE = "http://chaupal.test"


def signed_get(path: str, key: RemoteActor, **extra: str) -> dict[str, str]:
    return {**AS, **sign_headers("GET", f"{BASE}{path}", None, key.key_id, key.private_pem), **extra}


async def test_signed_get__valid__200(client, make_user, network):  # noqa: F811
    await make_user("alice")
    bob = network.actor("remote.example", "bob")
    r = await client.get("/users/alice", headers=signed_get("/users/alice", bob))
    assert r.status_code == 200
    assert network.fetched == [bob.uri]  # the signer's key came from its origin


async def test_signed_get__invalid_signature__401(client, make_user, network):  # noqa: F811
    await make_user("alice")
    bob = network.actor("remote.example", "bob")
    mallory = network.actor("evil.example", "mallory")
    headers = signed_get("/users/alice", bob)
    forged = signed_get("/users/alice", mallory)["Signature"].replace(mallory.key_id, bob.key_id)
    r = await client.get("/users/alice", headers={**headers, "Signature": forged})
    assert r.status_code == 401
    assert "Signature" in r.json()["error"]
    # Signed for another path: refused too (the request target is covered).
    r = await client.get("/users/alice/outbox", headers=signed_get("/users/alice", bob))
    assert r.status_code == 401


async def test_secure_mode__unsigned_401__signed_200__actor_and_discovery_open(
    client, make_user, settings, network  # noqa: F811
):
    settings.federation_authorized_fetch = True
    await make_user("alice")
    bob = network.actor("remote.example", "bob")
    for path in ("/users/alice", "/users/alice/outbox", "/users/alice/followers",
                 "/users/alice/collections/featured"):
        assert (await client.get(path, headers=AS)).status_code == 401, path
        assert (await client.get(path, headers=signed_get(path, bob))).status_code == 200, path
    # Browsers still get the profile page; the instance actor and discovery stay open.
    assert (await client.get("/users/alice")).status_code == 302
    assert (await client.get("/actor", headers=AS)).status_code == 200
    wf = await client.get("/.well-known/webfinger?resource=acct:alice@chaupal.test")
    assert wf.status_code == 200


async def test_allowlist__unlisted_signer_403__listed_signer_200(
    client, make_user, settings, session, network  # noqa: F811
):
    settings.federation_mode = "allowlist"
    policy.clear_cache()
    await make_user("alice")
    session.add(DomainAllow(domain="friend.example"))
    await session.commit()
    friend = network.actor("friend.example", "bob")
    stranger = network.actor("stranger.example", "eve")
    assert (await client.get("/users/alice", headers=AS)).status_code == 401  # implied secure mode
    r = await client.get("/users/alice", headers=signed_get("/users/alice", stranger))
    assert r.status_code == 403
    assert stranger.uri not in network.fetched  # a refused domain's key is never fetched
    r = await client.get("/users/alice", headers=signed_get("/users/alice", friend))
    assert r.status_code == 200


async def test_suspended_domain__signed_get_403(client, make_user, session, network):  # noqa: F811
    policy.clear_cache()
    await make_user("alice")
    session.add(DomainBlock(domain="bad.example", severity="suspend"))
    await session.commit()
    eve = network.actor("bad.example", "eve")
    r = await client.get("/users/alice", headers=signed_get("/users/alice", eve))
    assert r.status_code == 403
