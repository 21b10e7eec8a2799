"""Safety 4, forwarded activities: a server may forward another actor's Create/Update/Delete of
a Note (Mastodon forwards replies to the author's followers), but the forwarded body is never
trusted. The Note is refetched from its own origin and must be attributed to the actor; a
Delete counts only when the origin answers 404/410 or a Tombstone; anything else forwarded is
refused as an activity not signed by its actor (decision 145)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from chaupal.actions.statuses import check_create_status
from chaupal.models import Account, DomainBlock, Favourite, Follow, FollowRequest, Status
from tests.federation.inbox_helpers import deliver, network  # noqa: F401

FINMIN = "http://chaupal.test/users/finmin"


async def _status(session, uri):
    return await session.scalar(select(Status).where(Status.uri == uri))


async def _count(session, model):
    return await session.scalar(select(func.count()).select_from(model))


def _servers(network):  # noqa: F811
    """Bob on server B (the forwarder), Carol on server C (the reply's author)."""
    return network.actor("b.example", "bob"), network.actor("c.example", "carol")


async def test_forwarded_reply__stored_with_the_content_its_origin_serves(client, session, network):  # noqa: F811
    bob, carol = _servers(network)
    parent = bob.note("1")
    reply = carol.note("2", content="<p>from C</p>", inReplyTo=parent["id"])
    network.docs[reply["id"]] = reply
    forwarded = carol.create(dict(reply, content="<p>rewritten by B</p>"))

    r = await deliver(client, carol, forwarded, key=bob)

    assert r.status_code == 202, r.text
    status = await _status(session, reply["id"])
    assert status is not None and status.content == "<p>from C</p>"
    author = await session.get(Account, status.account_id)
    assert author.uri == carol.uri
    assert reply["id"] in network.fetched


async def test_forwarded_create_by_id_only__fetched_from_origin(client, session, network):  # noqa: F811
    bob, carol = _servers(network)
    note = carol.note("2", content="<p>from C</p>")
    network.docs[note["id"]] = note

    activity = carol.activity("Create", note["id"], "create-2")

    r = await deliver(client, carol, activity, key=bob)

    assert r.status_code == 202, r.text
    assert (await _status(session, note["id"])).content == "<p>from C</p>"


@pytest.mark.parametrize("origin", ["unreachable", "attributed_to_someone_else", "not_a_note"])
async def test_forwarded_create__refetch_fails_or_not_the_actors__401_nothing_stored(
    client, session, network, origin  # noqa: F811
):
    bob, carol = _servers(network)
    dave = network.actor("c.example", "dave")
    note = carol.note("2", content="<p>hello</p>")
    if origin == "attributed_to_someone_else":
        network.docs[note["id"]] = dict(note, attributedTo=dave.uri)
    elif origin == "not_a_note":
        network.docs[note["id"]] = dict(note, type="Person")

    r = await deliver(client, carol, carol.create(note), key=bob)

    assert r.status_code == 401, r.text
    assert await _count(session, Status) == 0


async def test_forwarded_create__object_on_the_forwarders_host__401_nothing_stored(client, session, network):  # noqa: F811
    bob, carol = _servers(network)
    # B serves a Note under its own host that claims Carol (on C) as its author.
    planted = dict(bob.note("9", content="<p>planted</p>"), attributedTo=carol.uri)
    network.docs[planted["id"]] = planted
    activity = carol.create(planted, activity_id=f"{carol.uri}/activities/9")

    r = await deliver(client, carol, activity, key=bob)

    assert r.status_code == 401, r.text
    assert await _count(session, Status) == 0


async def test_forwarded_update__edit_taken_from_origin(client, session, network):  # noqa: F811
    bob, carol = _servers(network)
    note = carol.note("2", content="<p>first</p>")
    assert (await deliver(client, carol, carol.create(note))).status_code == 202
    network.docs[note["id"]] = dict(note, content="<p>edited at C</p>")
    update = carol.activity("Update", dict(note, content="<p>edited by B</p>"), "update-1")

    r = await deliver(client, carol, update, key=bob)

    assert r.status_code == 202, r.text
    session.expire_all()
    assert (await _status(session, note["id"])).content == "<p>edited at C</p>"


@pytest.mark.parametrize(
    ("origin", "removed"),
    [(404, True), (410, True), ("tombstone", True), (200, False), (500, False), (403, False)],
)
async def test_forwarded_delete__removes_the_post_only_when_its_origin_says_gone(
    client, session, network, origin, removed  # noqa: F811
):
    bob, carol = _servers(network)
    note = carol.note("2")
    assert (await deliver(client, carol, carol.create(note))).status_code == 202
    if origin == 200:
        network.docs[note["id"]] = note
    elif origin == "tombstone":
        network.docs[note["id"]] = {"id": note["id"], "type": "Tombstone"}
    else:
        network.statuses[note["id"]] = origin

    r = await deliver(client, carol, carol.activity("Delete", note["id"], "delete-1"), key=bob)

    assert r.status_code == (202 if removed else 401), r.text
    session.expire_all()
    assert (await _status(session, note["id"]) is None) is removed


async def test_forwarded_delete_of_an_unknown_post__no_tombstone(client, session, network):  # noqa: F811
    """A 404 for a URI not used yet must not tombstone (and so suppress) the actor's next post."""
    bob, carol = _servers(network)
    note = carol.note("3")

    r = await deliver(client, carol, carol.activity("Delete", note["id"], "delete-3"), key=bob)
    assert r.status_code == 401, r.text

    network.docs[note["id"]] = note
    assert (await deliver(client, carol, carol.create(note))).status_code == 202
    assert await _status(session, note["id"]) is not None


async def test_forwarded_delete_of_the_actor__401(client, session, network):  # noqa: F811
    bob, carol = _servers(network)
    assert (await deliver(client, carol, carol.create(carol.note("2")))).status_code == 202
    network.statuses[carol.uri] = 410

    r = await deliver(client, carol, carol.activity("Delete", carol.uri, "delete-self"), key=bob)

    assert r.status_code == 401, r.text
    account = await session.scalar(select(Account).where(Account.uri == carol.uri))
    assert account is not None and account.suspended_at is None
    assert await _count(session, Status) == 1


async def test_forwarded_follow_like_announce__still_401(client, session, settings, network, make_user):  # noqa: F811
    bob, carol = _servers(network)
    user = await make_user("finmin")
    author = await session.get(Account, user.account_id)
    post = await check_create_status(session, settings, author, text="Budget day")
    await session.commit()
    network.docs[carol.uri] = dict(carol.document(), name="Forged")  # an Update(Person) refetch
    own = carol.note("5")
    network.docs[own["id"]] = own  # an Announce of Carol's own post would refetch fine

    for activity in (
        carol.activity("Follow", FINMIN, "follow-1"),
        carol.activity("Like", post.uri, "like-1"),
        carol.activity("Announce", post.uri, "announce-1", to=["https://www.w3.org/ns/activitystreams#Public"]),
        carol.activity("Announce", own["id"], "announce-2", to=["https://www.w3.org/ns/activitystreams#Public"]),
        carol.activity("Update", carol.document(), "update-person"),
    ):
        r = await deliver(client, carol, activity, key=bob)
        assert r.status_code == 401, (activity["type"], r.text)

    assert await _count(session, Follow) == 0
    assert await _count(session, FollowRequest) == 0
    assert await _count(session, Favourite) == 0
    assert await _count(session, Status) == 1  # the local post: no reblog, no announced post
    account = await session.scalar(select(Account).where(Account.uri == carol.uri))
    assert account is None or account.display_name != "Forged"


async def test_forwarded_activity_id__does_not_suppress_the_actors_own_delivery(client, session, network):  # noqa: F811
    """B forwards Carol's note 2 under the id Carol will use for note 3's Create."""
    bob, carol = _servers(network)
    two, three = carol.note("2"), carol.note("3", content="<p>three</p>")
    network.docs[two["id"]] = two
    claimed = f"{carol.uri}/activities/3"

    assert (await deliver(client, carol, carol.create(two, activity_id=claimed), key=bob)).status_code == 202
    assert (await deliver(client, carol, carol.create(three, activity_id=claimed))).status_code == 202

    assert await _status(session, two["id"]) is not None
    assert (await _status(session, three["id"])).content == "<p>three</p>"


async def test_forwarded_by_a_suspended_domain__401(client, session, network):  # noqa: F811
    bob, carol = _servers(network)
    assert (await deliver(client, bob, bob.create(bob.note("1")))).status_code == 202  # Bob known
    session.add(DomainBlock(domain="b.example", severity="suspend"))
    await session.commit()
    from chaupal.federation import policy

    policy.clear_cache()
    note = carol.note("2")
    network.docs[note["id"]] = note

    r = await deliver(client, carol, carol.create(note), key=bob)

    assert r.status_code == 401, r.text
    assert await _status(session, note["id"]) is None


async def test_forwarded_by_a_suspended_account__401(client, session, network):  # noqa: F811
    bob, carol = _servers(network)
    assert (await deliver(client, bob, bob.create(bob.note("1")))).status_code == 202  # Bob known
    account = await session.scalar(select(Account).where(Account.uri == bob.uri))
    account.suspended_at = account.created_at
    await session.commit()
    note = carol.note("2")
    network.docs[note["id"]] = note

    r = await deliver(client, carol, carol.create(note), key=bob)

    assert r.status_code == 401, r.text
    assert await _status(session, note["id"]) is None
