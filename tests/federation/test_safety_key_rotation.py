"""Safety 5: a remote actor's stored key changes only when the actor document is fetched again
from the actor's own origin. An `Update(Person)` announcing a new key does not install it; a
key the origin really rotated to is picked up by the refetch."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from chaupal.db import utcnow

from chaupal.federation.keys import generate_keypair
from chaupal.models import Account
from tests.federation.inbox_helpers import RemoteActor, deliver, network  # noqa: F401


async def _age_fetch(session, uri, seconds):
    """Pretend the actor was last fetched `seconds` ago."""
    account = await session.scalar(select(Account).where(Account.uri == uri))
    account.last_fetched_at = utcnow() - timedelta(seconds=seconds)
    await session.commit()


async def _stored_key(session, uri):
    session.expire_all()
    account = await session.scalar(select(Account).where(Account.uri == uri))
    key = (account.public_key or "").strip()
    await session.rollback()  # SQLite: end the read so deliveries can write
    return key


async def test_update_person_with_new_key__key_kept_and_new_key_cannot_sign(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    assert (await deliver(client, alice, alice.create(alice.note("1")))).status_code == 202
    original = alice.public_pem

    # Someone holding Alice's (leaked) key tries to install their own key.
    attacker_private, attacker_public = generate_keypair()
    doc = alice.document()
    doc["publicKey"] = dict(doc["publicKey"], publicKeyPem=attacker_public)
    r = await deliver(client, alice, alice.activity("Update", doc, "update-key"))
    assert r.status_code == 202, r.text

    assert await _stored_key(session, alice.uri) == original.strip()  # the origin still serves it
    assert network.fetched.count(alice.uri) == 2  # first contact, then the refetch from origin

    impostor = RemoteActor(alice.uri, "alice", attacker_private, attacker_public)
    r = await deliver(client, impostor, alice.create(alice.note("2")))
    assert r.status_code == 401, r.text


async def test_rotated_at_origin__refetch_picks_the_new_key(client, session, settings, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    assert (await deliver(client, alice, alice.create(alice.note("1")))).status_code == 202

    new_private, new_public = generate_keypair()
    rotated = RemoteActor(alice.uri, "alice", new_private, new_public)
    network.add_actor(rotated)  # the origin now serves the new key
    await _age_fetch(session, alice.uri, settings.federation_key_refresh_min_seconds + 1)

    r = await deliver(client, rotated, rotated.create(rotated.note("2")))

    assert r.status_code == 202, r.text
    assert await _stored_key(session, alice.uri) == new_public.strip()


async def test_failed_signatures__refetch_at_most_once_per_cooldown(client, session, settings, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    assert (await deliver(client, alice, alice.create(alice.note("1")))).status_code == 202
    forger_private, forger_public = generate_keypair()
    forger = RemoteActor(alice.uri, "alice", forger_private, forger_public)

    for n in range(5):  # a flood of forged deliveries right after the key was fetched
        r = await deliver(client, forger, alice.create(alice.note(f"forged {n}")))
        assert r.status_code == 401, r.text
    assert network.fetched.count(alice.uri) == 1  # no refetch inside the cooldown

    await _age_fetch(session, alice.uri, settings.federation_key_refresh_min_seconds + 1)
    for n in range(3):
        assert (await deliver(client, forger, alice.create(alice.note(f"later {n}")))).status_code == 401
    assert network.fetched.count(alice.uri) == 2  # one refetch once the cooldown passed


async def test_update_person_with_rotated_key_at_origin__refetched(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    assert (await deliver(client, alice, alice.create(alice.note("1")))).status_code == 202
    _, new_public = generate_keypair()
    rotated_doc = alice.document()
    rotated_doc["publicKey"] = dict(rotated_doc["publicKey"], publicKeyPem=new_public)
    network.docs[alice.uri] = rotated_doc

    r = await deliver(client, alice, alice.activity("Update", rotated_doc, "update-rotated"))

    assert r.status_code == 202, r.text
    assert await _stored_key(session, alice.uri) == new_public.strip()
