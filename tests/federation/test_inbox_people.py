"""Inbox: activities about actors. Update(Person) changes the profile (not the key), Delete of
the actor removes its posts and follows, Move is checked against the target's alsoKnownAs,
Flag becomes a moderation flag for local moderators."""

from __future__ import annotations

from sqlalchemy import func, select

from chaupal.actions.follows import do_create_follow
from chaupal.models import Account, Follow, ModerationFlag, Status
from tests.federation.inbox_helpers import deliver, network  # noqa: F401


async def _remote(session, uri):
    session.expire_all()
    return await session.scalar(select(Account).where(Account.uri == uri))


async def test_update_person__profile_applied_key_unchanged(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    await deliver(client, alice, alice.create(alice.note("1")))
    doc = alice.document()
    doc.update(name="Alice A.", summary="<p>new bio</p>", manuallyApprovesFollowers=True)

    assert (await deliver(client, alice, alice.activity("Update", doc, "upd-p"))).status_code == 202

    account = await _remote(session, alice.uri)
    assert (account.display_name, account.note_html, account.locked) == ("Alice A.", "<p>new bio</p>", True)
    assert account.public_key == alice.public_pem.strip()


async def test_update_of_another_person__403(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    bob = network.actor("remote.example", "bob")
    await deliver(client, bob, bob.create(bob.note("1")))
    doc = bob.document()
    doc["name"] = "Hacked"

    assert (await deliver(client, alice, alice.activity("Update", doc, "upd-b"))).status_code == 403
    assert (await _remote(session, bob.uri)).display_name == "Bob"


async def test_delete_actor__posts_and_follows_gone(client, session, network, make_user):  # noqa: F811
    user = await make_user("finmin")
    alice = network.actor("remote.example", "alice")
    await deliver(client, alice, alice.create(alice.note("1")))
    await deliver(client, alice, alice.activity("Follow", "http://chaupal.test/users/finmin", "f1"))
    remote = await _remote(session, alice.uri)
    remote_id = remote.id
    await do_create_follow(session, user.account_id, remote_id)
    await session.commit()

    r = await deliver(client, alice, alice.activity("Delete", alice.uri, "delete-self"))

    assert r.status_code == 202, r.text
    account = await _remote(session, alice.uri)
    assert account.suspended_at is not None
    assert await session.scalar(select(func.count()).select_from(Status)) == 0
    assert await session.scalar(select(func.count()).select_from(Follow)) == 0


async def test_move__target_listing_old_account__followers_moved(client, session, network, make_user):  # noqa: F811
    user = await make_user("citizen")
    old = network.actor("old.example", "alice")
    new = network.actor("new.example", "alice", alsoKnownAs=[old.uri])
    await deliver(client, old, old.create(old.note("1")))
    old_id = (await _remote(session, old.uri)).id
    await do_create_follow(session, user.account_id, old_id)
    await session.commit()

    move = old.activity("Move", old.uri, "move-1", target=new.uri)
    assert (await deliver(client, old, move)).status_code == 202

    moved_to = (await _remote(session, old.uri)).moved_to_account_id
    target_id = (await _remote(session, new.uri)).id
    assert moved_to == target_id
    assert await session.scalar(
        select(Follow.id).where(Follow.account_id == user.account_id, Follow.target_account_id == target_id)
    ) is not None


async def test_move__target_without_also_known_as__403(client, session, network):  # noqa: F811
    old = network.actor("old.example", "alice")
    new = network.actor("new.example", "alice")  # does not name the old account
    await deliver(client, old, old.create(old.note("1")))

    r = await deliver(client, old, old.activity("Move", old.uri, "move-1", target=new.uri))

    assert r.status_code == 403
    assert (await _remote(session, old.uri)).moved_to_account_id is None


async def test_flag__moderation_flag_for_reported_local_account(client, session, settings, network, make_user):  # noqa: F811
    from chaupal.actions.statuses import check_create_status

    user = await make_user("finmin")
    author = await session.get(Account, user.account_id)
    post = await check_create_status(session, settings, author, text="hello")
    await session.commit()
    reporter = network.actor("remote.example", "moderators")
    flag = reporter.activity(
        "Flag", ["http://chaupal.test/users/finmin", post.uri], "flag-1", content="<p>spam</p>"
    )

    assert (await deliver(client, reporter, flag)).status_code == 202

    row = await session.scalar(select(ModerationFlag))
    assert row.account_id == user.account_id and row.kind == "report"
    assert row.detail["comment"] == "spam" and row.detail["status_ids"] == [str(post.id)]
    assert row.detail["domain"] == "remote.example"


async def test_delete_of_unknown_actor__202_without_any_fetch(client, session, network):  # noqa: F811
    """Servers announce a deleted account to everyone; its key is gone, and we hold nothing."""
    gone = network.actor("remote.example", "gone")
    del network.docs[gone.uri]

    r = await deliver(client, gone, gone.activity("Delete", gone.uri, "delete-self"))

    assert r.status_code == 202
    assert network.fetched == []
    assert await session.scalar(select(func.count()).select_from(Account)) == 0
