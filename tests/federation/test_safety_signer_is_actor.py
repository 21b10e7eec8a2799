"""Safety 4: only the activity's own actor may deliver it, and only for objects it owns.
Unsigned POSTs are refused and store nothing; a valid signature by one actor on an activity
naming another actor is refused; Update/Delete of another actor's Note are refused."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from chaupal.models import Account, ProcessedActivity, Status
from tests.federation.inbox_helpers import deliver, network, signed  # noqa: F401


async def _count(session, model):
    return await session.scalar(select(func.count()).select_from(model))


async def test_unsigned_create__401_and_nothing_stored(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    body = json.dumps(alice.create(alice.note("1"))).encode()

    r = await client.post("/inbox", content=body, headers={"Content-Type": "application/activity+json"})

    assert r.status_code == 401, r.text
    assert await _count(session, Status) == 0
    assert await _count(session, ProcessedActivity) == 0


async def test_signature_by_another_actor__401_and_nothing_stored(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    mallory = network.actor("evil.example", "mallory")
    activity = alice.create(alice.note("1"))

    r = await deliver(client, alice, activity, key=mallory)

    assert r.status_code == 401, r.text
    assert await _count(session, Status) == 0


async def test_signer_on_same_server_as_actor__still_401(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    bob = network.actor("remote.example", "bob")

    r = await deliver(client, alice, alice.create(alice.note("1")), key=bob)

    assert r.status_code == 401, r.text
    assert await _count(session, Status) == 0


async def test_create_of_note_attributed_to_another_actor__403(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    bob = network.actor("remote.example", "bob")
    note = bob.note("1")

    r = await deliver(client, alice, alice.create(note, activity_id=f"{alice.uri}/act/1"))

    assert r.status_code == 403, r.text
    assert await _count(session, Status) == 0


async def test_update_and_delete_of_another_actors_note__403_and_unchanged(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    bob = network.actor("remote.example", "bob")
    note = alice.note("1", content="<p>original</p>")
    assert (await deliver(client, alice, alice.create(note))).status_code == 202

    forged = dict(note, attributedTo=bob.uri, content="<p>forged</p>")
    update = bob.activity("Update", forged, "update-1")
    assert (await deliver(client, bob, update)).status_code == 403

    # Bob claims the Note as his own in the Update, but it is Alice's post.
    delete = bob.activity("Delete", note["id"], "delete-1")
    assert (await deliver(client, bob, delete)).status_code == 403

    status = await session.scalar(select(Status).where(Status.uri == note["id"]))
    assert status is not None and status.content == "<p>original</p>"


async def test_activity_id_on_another_origin__refused(client, session, network):  # noqa: F811
    """An id on someone else's origin could pre-claim (and so suppress) their activity."""
    mallory = network.actor("evil.example", "mallory")
    activity = mallory.create(mallory.note("1"), activity_id="https://gov.example/activities/1")

    r = await deliver(client, mallory, activity)

    assert r.status_code == 400, r.text
    assert await _count(session, ProcessedActivity) == 0


async def test_signed_by_actor__accepted(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")

    r = await deliver(client, alice, alice.create(alice.note("1")))

    assert r.status_code == 202, r.text
    account = await session.scalar(select(Account).where(Account.uri == alice.uri))
    assert account is not None and account.domain == "remote.example"
    assert await _count(session, Status) == 1
