"""Safety 10: deliveries may repeat and arrive out of order. The same Create delivered five
times at once makes one post (one notification, one counter step); a Delete that overtakes its
Create keeps the post from ever appearing, whether the Create comes by delivery or by a fetch."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from chaupal.federation import inbox
from chaupal.federation.remote import resolve_status
from chaupal.models import Account, Notification, ProcessedActivity, Status, Tombstone
from tests.federation.inbox_helpers import deliver, network  # noqa: F401


async def _count(session, model, *where):
    return await session.scalar(select(func.count()).select_from(model).where(*where))


def _race(monkeypatch, parties):
    """Hold every delivery just before its write transaction until all `parties` got there:
    each has passed every read-only check (including "already processed?"), so the writes
    really race (on PostgreSQL; SQLite's single writer then takes them in turn)."""
    barrier = asyncio.Barrier(parties)
    real = inbox.in_write

    async def in_write(state, work):
        await asyncio.wait_for(barrier.wait(), timeout=60)
        return await real(state, work)

    monkeypatch.setattr(inbox, "in_write", in_write)


async def _warm_up(client, session, alice):
    """Store the actor first (its key fetch is a write of its own, outside the race)."""
    assert (await deliver(client, alice, alice.create(alice.note("warm-up")))).status_code == 202
    await session.rollback()


async def test_same_create_five_times_concurrently__one_post(client, session, network, make_user, monkeypatch):  # noqa: F811
    await make_user("finmin")
    alice = network.actor("remote.example", "alice")
    await _warm_up(client, session, alice)
    _race(monkeypatch, 5)
    note = alice.note(
        "1", tag=[{"type": "Mention", "href": "http://chaupal.test/users/finmin", "name": "@finmin"}]
    )
    activity = alice.create(note)

    answers = await asyncio.gather(*(deliver(client, alice, activity) for _ in range(5)))

    assert [r.status_code for r in answers] == [202] * 5, [r.text for r in answers]
    assert await _count(session, Status, Status.uri == note["id"]) == 1
    assert await _count(session, ProcessedActivity, ProcessedActivity.uri == activity["id"]) == 1
    assert await _count(session, Notification, Notification.type == "mention") == 1
    assert await _count(session, Account, Account.uri == alice.uri) == 1
    author = await session.scalar(select(Account).where(Account.uri == alice.uri))
    assert author.statuses_count == 2  # the warm-up and this one


async def test_same_note_in_two_different_creates_concurrently__one_post(client, session, network, monkeypatch):  # noqa: F811
    """Dedupe by activity id is not enough: two activity ids, one Note (unique Status.uri)."""
    alice = network.actor("remote.example", "alice")
    await _warm_up(client, session, alice)
    _race(monkeypatch, 4)
    note = alice.note("1")
    first = alice.create(note, activity_id=f"{alice.uri}/a/1")
    second = alice.create(note, activity_id=f"{alice.uri}/a/2")

    answers = await asyncio.gather(
        *(deliver(client, alice, act) for act in (first, second, first, second))
    )

    assert {r.status_code for r in answers} == {202}
    assert await _count(session, Status, Status.uri == note["id"]) == 1


async def test_delete_before_create__post_never_appears(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    note = alice.note("1")

    r = await deliver(client, alice, alice.activity("Delete", note["id"], "delete-1"))
    assert r.status_code == 202, r.text
    r = await deliver(client, alice, alice.create(note))
    assert r.status_code == 202, r.text

    assert await _count(session, Status) == 0
    assert await _count(session, Tombstone, Tombstone.uri == note["id"]) == 1


async def test_delete_before_create__a_later_fetch_does_not_bring_it_back(client, session, settings, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    note = alice.note("1")
    network.docs[note["id"]] = note  # the origin still serves a cached copy

    assert (await deliver(client, alice, alice.activity("Delete", note["id"], "delete-1"))).status_code == 202

    assert await resolve_status(session, settings, note["id"]) is None
    assert await _count(session, Status) == 0


async def test_delete_after_create__post_gone_and_redelivery_ignored(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    note = alice.note("1")
    create = alice.create(note)
    assert (await deliver(client, alice, create)).status_code == 202
    assert (await deliver(client, alice, alice.activity("Delete", note["id"], "delete-1"))).status_code == 202

    again = alice.create(note, activity_id=f"{alice.uri}/a/again")
    assert (await deliver(client, alice, again)).status_code == 202

    assert await _count(session, Status) == 0
