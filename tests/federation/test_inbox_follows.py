"""Inbox: Follow of local accounts (request when locked, follow + Accept otherwise), Accept and
Reject of our own Follow, Undo(Follow), Block and Undo(Block)."""

from __future__ import annotations

from sqlalchemy import select

from chaupal.actions.follows import check_follow
from chaupal.models import Account, Block, Follow, FollowRequest, Job, Notification
from tests.federation.inbox_helpers import deliver, network  # noqa: F401

FINMIN = "http://chaupal.test/users/finmin"


async def _remote(session, uri):
    return await session.scalar(select(Account).where(Account.uri == uri))


async def _jobs(session):
    return (await session.scalars(select(Job).where(Job.kind == "ap_distribute"))).all()


async def test_follow_unlocked__follow_with_uri_notification_and_accept_queued(client, session, network, make_user):  # noqa: F811
    user = await make_user("finmin")
    alice = network.actor("remote.example", "alice")
    follow = alice.activity("Follow", FINMIN, "follow-1")

    assert (await deliver(client, alice, follow)).status_code == 202

    row = await session.scalar(select(Follow).where(Follow.target_account_id == user.account_id))
    assert row is not None and row.uri == follow["id"]
    assert await session.scalar(select(Notification.type).where(Notification.account_id == user.account_id)) == "follow"
    (job,) = await _jobs(session)
    accept = job.payload["activity"]
    assert accept["type"] == "Accept" and accept["object"]["id"] == follow["id"]
    assert job.payload["inboxes"] == [f"{alice.uri}/inbox"]


async def test_follow_locked__request_kept_no_accept(client, session, network, make_user):  # noqa: F811
    user = await make_user("finmin", locked=True)
    alice = network.actor("remote.example", "alice")
    follow = alice.activity("Follow", FINMIN, "follow-1")

    assert (await deliver(client, alice, follow)).status_code == 202

    request = await session.scalar(select(FollowRequest).where(FollowRequest.target_account_id == user.account_id))
    assert request is not None and request.uri == follow["id"]
    assert await session.scalar(select(Follow.id)) is None
    assert await _jobs(session) == []


async def test_follow_by_blocked_actor__rejected(client, session, network, make_user):  # noqa: F811
    user = await make_user("finmin")
    alice = network.actor("remote.example", "alice")
    assert (await deliver(client, alice, alice.create(alice.note("0")))).status_code == 202
    session.add(Block(account_id=user.account_id, target_account_id=(await _remote(session, alice.uri)).id))
    await session.commit()

    assert (await deliver(client, alice, alice.activity("Follow", FINMIN, "follow-1"))).status_code == 202

    assert await session.scalar(select(Follow.id)) is None
    (job,) = await _jobs(session)
    assert job.payload["activity"]["type"] == "Reject"


async def test_undo_follow__follow_removed(client, session, network, make_user):  # noqa: F811
    user = await make_user("finmin")
    alice = network.actor("remote.example", "alice")
    follow = alice.activity("Follow", FINMIN, "follow-1")
    await deliver(client, alice, follow)

    undo = alice.activity("Undo", follow, "undo-1")
    assert (await deliver(client, alice, undo)).status_code == 202

    assert await session.scalar(select(Follow.id).where(Follow.target_account_id == user.account_id)) is None


async def test_undo_follow_by_id_only__follow_removed(client, session, network, make_user):  # noqa: F811
    await make_user("finmin")
    alice = network.actor("remote.example", "alice")
    follow = alice.activity("Follow", FINMIN, "follow-1")
    await deliver(client, alice, follow)

    assert (await deliver(client, alice, alice.activity("Undo", follow["id"], "undo-1"))).status_code == 202

    assert await session.scalar(select(Follow.id)) is None


async def _our_request(client, session, settings, network, make_user):  # noqa: F811
    user = await make_user("citizen")
    alice = network.actor("remote.example", "alice")
    assert (await deliver(client, alice, alice.create(alice.note("0")))).status_code == 202
    local = await session.get(Account, user.account_id)
    remote = await _remote(session, alice.uri)
    await check_follow(session, settings, local, remote)
    request = await session.scalar(select(FollowRequest).where(FollowRequest.account_id == local.id))
    request.uri = request.uri or f"{settings.base_url}/follows/{request.id}"
    await session.commit()
    return alice, local, remote, request.uri


async def test_accept_of_our_follow__request_becomes_follow(client, session, settings, network, make_user):  # noqa: F811
    alice, local, remote, follow_uri = await _our_request(client, session, settings, network, make_user)
    embedded = {"id": follow_uri, "type": "Follow", "actor": f"{settings.base_url}/users/citizen", "object": alice.uri}

    assert (await deliver(client, alice, alice.activity("Accept", embedded, "accept-1"))).status_code == 202

    local_id, remote_id = local.id, remote.id
    session.expire_all()
    row = await session.scalar(select(Follow).where(Follow.account_id == local_id))
    assert row is not None and row.target_account_id == remote_id and row.uri == follow_uri
    assert await session.scalar(select(FollowRequest.id)) is None


async def test_accept_by_another_actor__ignored(client, session, settings, network, make_user):  # noqa: F811
    _, _, _, follow_uri = await _our_request(client, session, settings, network, make_user)
    mallory = network.actor("evil.example", "mallory")

    r = await deliver(client, mallory, mallory.activity("Accept", follow_uri, "accept-1"))

    assert r.status_code == 202
    assert await session.scalar(select(Follow.id)) is None


async def test_reject_of_our_follow__request_dropped(client, session, settings, network, make_user):  # noqa: F811
    alice, _, _, follow_uri = await _our_request(client, session, settings, network, make_user)

    assert (await deliver(client, alice, alice.activity("Reject", follow_uri, "reject-1"))).status_code == 202

    assert await session.scalar(select(FollowRequest.id)) is None
    assert await session.scalar(select(Follow.id)) is None


async def test_block_and_undo_block(client, session, network, make_user):  # noqa: F811
    user = await make_user("finmin")
    alice = network.actor("remote.example", "alice")
    await deliver(client, alice, alice.activity("Follow", FINMIN, "follow-1"))
    block = alice.activity("Block", FINMIN, "block-1")

    assert (await deliver(client, alice, block)).status_code == 202
    remote = await _remote(session, alice.uri)
    assert await session.scalar(select(Follow.id)) is None
    assert await session.scalar(
        select(Block.id).where(Block.account_id == remote.id, Block.target_account_id == user.account_id)
    ) is not None
    await session.rollback()  # SQLite: end the read before the next delivery writes

    assert (await deliver(client, alice, alice.activity("Undo", block, "undo-block"))).status_code == 202
    assert await session.scalar(select(Block.id)) is None
