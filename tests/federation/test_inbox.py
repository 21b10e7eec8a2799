"""The inbox pipeline: what is refused before any handler runs (size, content type, JSON,
federation off, unknown user, domain policy) and what a valid delivery leads to."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from chaupal.federation import policy
from chaupal.models import DomainBlock, ProcessedActivity, Status
from tests.federation.inbox_helpers import deliver, network, signed  # noqa: F401


async def _count(session, model):
    return await session.scalar(select(func.count()).select_from(model))


async def test_body_over_federation_max_activity_bytes__413(client, session, settings, network):  # noqa: F811
    settings.federation_max_activity_bytes = 4000
    alice = network.actor("remote.example", "alice")
    note = alice.note("1", content="<p>" + "x" * 4000 + "</p>")
    body, headers = signed(alice, "/inbox", alice.create(note))

    r = await client.post("/inbox", content=body, headers=headers)

    async def chunks():
        yield body[:2000]
        yield body[2000:]

    chunked = await client.post("/inbox", content=chunks(), headers=headers)

    assert r.status_code == 413 and chunked.status_code == 413
    assert r.json() == {"error": "Activity is too large"}
    assert await _count(session, Status) == 0


async def test_not_activity_streams__415(client, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    body, headers = signed(alice, "/inbox", alice.create(alice.note("1")), content_type="application/json")

    r = await client.post("/inbox", content=body, headers=headers)

    assert r.status_code == 415


async def test_ld_json_with_profile__accepted(client, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    body, headers = signed(
        alice, "/inbox", alice.create(alice.note("1")),
        content_type='application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    )

    r = await client.post("/inbox", content=body, headers=headers)

    assert r.status_code == 202, r.text


async def test_bad_json_and_missing_fields__400(client, network):  # noqa: F811
    headers = {"Content-Type": "application/activity+json"}
    assert (await client.post("/inbox", content=b"{nope", headers=headers)).status_code == 400
    assert (await client.post("/inbox", content=b"[1]", headers=headers)).status_code == 400
    body = json.dumps({"type": "Create", "actor": "https://r.example/u"}).encode()
    assert (await client.post("/inbox", content=body, headers=headers)).status_code == 400


async def test_claims_local_actor__401(client, network, make_user):  # noqa: F811
    await make_user("finmin")
    activity = {"id": "http://chaupal.test/users/finmin#x", "type": "Delete",
                "actor": "http://chaupal.test/users/finmin", "object": "http://chaupal.test/users/finmin"}
    r = await client.post("/inbox", content=json.dumps(activity).encode(),
                          headers={"Content-Type": "application/activity+json"})
    assert r.status_code == 401


async def test_unknown_local_user_inbox__404(client, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    r = await deliver(client, alice, alice.create(alice.note("1")), path="/users/nobody/inbox")
    assert r.status_code == 404


async def test_personal_inbox__accepted(client, session, network, make_user):  # noqa: F811
    await make_user("finmin")
    alice = network.actor("remote.example", "alice")
    r = await deliver(client, alice, alice.create(alice.note("1")), path="/users/finmin/inbox")
    assert r.status_code == 202, r.text
    assert await _count(session, Status) == 1


async def test_suspended_domain__403_before_any_fetch(client, session, network):  # noqa: F811
    session.add(DomainBlock(domain="blocked.example", severity="suspend"))
    await session.commit()
    policy.clear_cache()
    alice = network.actor("blocked.example", "alice")

    r = await deliver(client, alice, alice.create(alice.note("1")))

    assert r.status_code == 403
    assert network.fetched == []
    assert await _count(session, Status) == 0


async def test_allowlist_mode__unlisted_domain_403(client, session, settings, network):  # noqa: F811
    settings.federation_mode = "allowlist"
    policy.clear_cache()
    alice = network.actor("remote.example", "alice")
    try:
        r = await deliver(client, alice, alice.create(alice.note("1")))
    finally:
        settings.federation_mode = "open"
        policy.clear_cache()
    assert r.status_code == 403


async def test_federation_disabled__404(client, settings, network):  # noqa: F811
    settings.federation_enabled = False
    alice = network.actor("remote.example", "alice")
    try:
        r = await deliver(client, alice, alice.create(alice.note("1")))
    finally:
        settings.federation_enabled = True
    assert r.status_code == 404


async def test_redelivery__202_and_applied_once(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    activity = alice.create(alice.note("1"))
    for _ in range(3):
        assert (await deliver(client, alice, activity)).status_code == 202
    assert await _count(session, Status) == 1
    assert await _count(session, ProcessedActivity) == 1


async def test_unknown_activity_type__202_ignored(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    r = await deliver(client, alice, alice.activity("EmojiReact", "https://x.example/1", "e1"))
    assert r.status_code == 202
    assert await _count(session, Status) == 0
