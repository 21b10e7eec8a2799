"""Inbox: a remote account that moves to one of OUR accounts (issue 7). The target's aliases are
read from our database (no fetch); without the alias the Move is refused."""

from __future__ import annotations

from sqlalchemy import select

from chaupal.actions.follows import do_create_follow
from chaupal.models import Account, Follow
from tests.federation.inbox_helpers import deliver, network  # noqa: F401


async def _remote(session, uri):
    session.expire_all()
    return await session.scalar(select(Account).where(Account.uri == uri))


async def test_move_to_local_account__aliased__followers_moved(client, session, settings, network, make_user):  # noqa: F811
    citizen = await make_user("citizen")
    newme = await make_user("newme")
    old = network.actor("old.example", "alice")
    await deliver(client, old, old.create(old.note("1")))
    old_id = (await _remote(session, old.uri)).id
    await do_create_follow(session, citizen.account_id, old_id)
    target = await session.get(Account, newme.account_id)
    target.also_known_as = [old.uri]
    await session.commit()

    move = old.activity("Move", old.uri, "move-1", target=f"{settings.base_url}/users/newme")
    assert (await deliver(client, old, move)).status_code == 202

    assert (await _remote(session, old.uri)).moved_to_account_id == newme.account_id
    assert await session.scalar(
        select(Follow.id).where(
            Follow.account_id == citizen.account_id, Follow.target_account_id == newme.account_id
        )
    ) is not None


async def test_move_to_local_account__not_aliased__403(client, session, settings, network, make_user):  # noqa: F811
    await make_user("newme")
    old = network.actor("old.example", "alice")
    await deliver(client, old, old.create(old.note("1")))

    move = old.activity("Move", old.uri, "move-1", target=f"{settings.base_url}/users/newme")
    assert (await deliver(client, old, move)).status_code == 403
    assert (await _remote(session, old.uri)).moved_to_account_id is None
