"""Follow, follow-request, block and mute actions: rows, counters and notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from chaupal.actions.follows import (
    check_block,
    check_follow,
    check_mute,
    do_authorize_follow_request,
    do_reject_follow_request,
    do_remove_from_followers,
    do_unblock,
    do_unfollow,
    do_unmute,
)
from chaupal.db import utcnow
from chaupal.errors import ApiError
from chaupal.models import Account, Block, Follow, FollowRequest, Mute, Notification


@pytest.fixture
async def trio(make_user, session):
    """alice, bob and carol as Account rows in the test session."""
    users = [await make_user(name) for name in ("alice", "bob", "carol")]
    return [await session.get(Account, u.account_id) for u in users]


async def counts(session, account: Account) -> tuple[int, int]:
    await session.refresh(account)
    return account.followers_count, account.following_count


async def notes(session, recipient: Account) -> list[tuple[str, int]]:
    rows = await session.execute(
        select(Notification.type, Notification.from_account_id).where(
            Notification.account_id == recipient.id
        )
    )
    return sorted(rows.all())


async def total(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def test_follow__creates_follow_counters_and_notification(session, settings, trio):
    alice, bob, _ = trio
    await check_follow(session, settings, alice, bob)
    await session.commit()
    follow = await session.scalar(select(Follow))
    assert (follow.account_id, follow.target_account_id) == (alice.id, bob.id)
    assert follow.show_reblogs is True and follow.notify is False and follow.languages is None
    assert await counts(session, alice) == (0, 1)
    assert await counts(session, bob) == (1, 0)
    assert await notes(session, bob) == [("follow", alice.id)]


async def test_follow__again__updates_options_without_double_counting(session, settings, trio):
    alice, bob, _ = trio
    await check_follow(session, settings, alice, bob)
    await check_follow(session, settings, alice, bob, reblogs=False, notify=True, languages=["EN", "hi", "en"])
    await session.commit()
    follow = await session.scalar(select(Follow))
    assert (follow.show_reblogs, follow.notify, follow.languages) == (False, True, ["en", "hi"])
    assert await total(session, Follow) == 1
    assert await counts(session, bob) == (1, 0)
    assert await notes(session, bob) == [("follow", alice.id)]


async def test_follow__self__422(session, settings, trio):
    alice = trio[0]
    with pytest.raises(ApiError) as err:
        await check_follow(session, settings, alice, alice)
    assert err.value.status == 422


async def test_follow__bad_language_code__422(session, settings, trio):
    alice, bob, _ = trio
    with pytest.raises(ApiError) as err:
        await check_follow(session, settings, alice, bob, languages=["english!"])
    assert err.value.status == 422
    assert await total(session, Follow) == 0


@pytest.mark.parametrize("who_blocks", ["follower", "target"])
async def test_follow__blocked_either_way__403(session, settings, trio, who_blocks):
    alice, bob, _ = trio
    if who_blocks == "follower":
        await check_block(session, alice, bob)
    else:
        await check_block(session, bob, alice)
    with pytest.raises(ApiError) as err:
        await check_follow(session, settings, alice, bob)
    assert err.value.status == 403
    assert await total(session, Follow) == 0
    assert await total(session, FollowRequest) == 0


async def test_follow__locked_target__request_then_authorize(session, settings, trio):
    alice, bob, _ = trio
    bob.locked = True
    await check_follow(session, settings, alice, bob, reblogs=False, languages=["hi"])
    await session.commit()
    assert await total(session, Follow) == 0
    assert await total(session, FollowRequest) == 1
    assert await counts(session, bob) == (0, 0)
    assert await notes(session, bob) == [("follow_request", alice.id)]

    assert await do_authorize_follow_request(session, bob, alice) is True
    await session.commit()
    follow = await session.scalar(select(Follow))
    assert (follow.account_id, follow.show_reblogs, follow.languages) == (alice.id, False, ["hi"])
    assert await total(session, FollowRequest) == 0
    assert await counts(session, bob) == (1, 0)
    assert await counts(session, alice) == (0, 1)
    # Like Mastodon: the request notification goes, and nobody is notified of the acceptance.
    assert await notes(session, bob) == []
    assert await notes(session, alice) == []
    assert await do_authorize_follow_request(session, bob, alice) is False
    assert await counts(session, bob) == (1, 0)


async def test_reject_follow_request__removes_request_and_notification(session, settings, trio):
    alice, bob, _ = trio
    bob.locked = True
    await check_follow(session, settings, alice, bob)
    assert await do_reject_follow_request(session, bob, alice) is True
    await session.commit()
    assert await total(session, FollowRequest) == 0
    assert await total(session, Follow) == 0
    assert await notes(session, bob) == []
    assert await do_reject_follow_request(session, bob, alice) is False


async def test_unfollow__withdraws_pending_request(session, settings, trio):
    alice, bob, _ = trio
    bob.locked = True
    await check_follow(session, settings, alice, bob)
    await do_unfollow(session, alice, bob)
    await session.commit()
    assert await total(session, FollowRequest) == 0
    assert await notes(session, bob) == []


async def test_unfollow__decrements_counters_once(session, settings, trio):
    alice, bob, carol = trio
    await check_follow(session, settings, alice, bob)
    await check_follow(session, settings, carol, bob)
    await do_unfollow(session, alice, bob)
    await do_unfollow(session, alice, bob)
    await session.commit()
    assert await counts(session, bob) == (1, 0)
    assert await counts(session, alice) == (0, 0)
    assert await counts(session, carol) == (0, 1)
    assert await notes(session, bob) == [("follow", carol.id)]


async def test_follow__unlocked_after_request__becomes_follow(session, settings, trio):
    alice, bob, _ = trio
    bob.locked = True
    await check_follow(session, settings, alice, bob)
    bob.locked = False
    await check_follow(session, settings, alice, bob)
    await session.commit()
    assert await total(session, FollowRequest) == 0
    assert await total(session, Follow) == 1
    assert await notes(session, bob) == [("follow", alice.id)]


async def test_remove_from_followers__ends_their_follow(session, settings, trio):
    alice, bob, _ = trio
    await check_follow(session, settings, alice, bob)
    await do_remove_from_followers(session, bob, alice)
    await session.commit()
    assert await total(session, Follow) == 0
    assert await counts(session, bob) == (0, 0)
    assert await counts(session, alice) == (0, 0)


async def test_block__ends_follows_both_ways_and_requests_fixing_counters(session, settings, trio):
    alice, bob, carol = trio
    await check_follow(session, settings, alice, bob)
    await check_follow(session, settings, bob, alice)
    await check_follow(session, settings, carol, alice)
    carol.locked = True
    await check_follow(session, settings, alice, carol)
    await check_follow(session, settings, bob, carol)  # bob's request to carol survives
    await check_block(session, alice, bob)
    await check_block(session, carol, alice)
    await check_block(session, alice, bob)  # idempotent
    await session.commit()
    assert await total(session, Block) == 2
    edges = set((await session.execute(select(Follow.account_id, Follow.target_account_id))).all())
    assert edges == set()
    requests = set(
        (await session.execute(select(FollowRequest.account_id, FollowRequest.target_account_id))).all()
    )
    assert requests == {(bob.id, carol.id)}
    for account in (alice, bob, carol):
        assert await counts(session, account) == (0, 0)
    assert await notes(session, alice) == []
    assert await notes(session, bob) == []
    assert await notes(session, carol) == [("follow_request", bob.id)]


async def test_unblock__removes_block_only(session, settings, trio):
    alice, bob, _ = trio
    await check_block(session, alice, bob)
    await do_unblock(session, alice, bob)
    await do_unblock(session, alice, bob)
    await session.commit()
    assert await total(session, Block) == 0
    await check_follow(session, settings, alice, bob)
    assert await total(session, Follow) == 1


async def test_mute__hides_follow_notifications(session, settings, trio):
    alice, bob, _ = trio
    await check_mute(session, bob, alice)
    await check_follow(session, settings, alice, bob)
    await session.commit()
    assert await total(session, Follow) == 1
    assert await notes(session, bob) == []


async def test_mute__notifications_false__still_notified(session, settings, trio):
    alice, bob, _ = trio
    await check_mute(session, bob, alice, notifications=False)
    await check_follow(session, settings, alice, bob)
    assert await notes(session, bob) == [("follow", alice.id)]


async def test_mute__again__updates_options_and_expiry(session, settings, trio):
    alice, bob, _ = trio
    await check_mute(session, alice, bob)
    await check_mute(session, alice, bob, notifications=False, duration=3600)
    await session.commit()
    mute = await session.scalar(select(Mute))
    assert await total(session, Mute) == 1
    assert mute.hide_notifications is False
    assert utcnow() < mute.expires_at <= utcnow() + timedelta(seconds=3600)


async def test_mute__expired__stops_hiding_notifications(session, settings, trio):
    alice, bob, _ = trio
    await check_mute(session, bob, alice, duration=60)
    mute = await session.scalar(select(Mute))
    mute.expires_at = utcnow() - timedelta(seconds=1)  # as if the minute had passed
    await check_follow(session, settings, alice, bob)
    assert await notes(session, bob) == [("follow", alice.id)]


@pytest.mark.parametrize("duration", [-1, 10**12])
async def test_mute__bad_duration__422(session, trio, duration):
    alice, bob, _ = trio
    with pytest.raises(ApiError) as err:
        await check_mute(session, alice, bob, duration=duration)
    assert err.value.status == 422
    assert await total(session, Mute) == 0


async def test_mute__self__422(session, trio):
    with pytest.raises(ApiError) as err:
        await check_mute(session, trio[0], trio[0])
    assert err.value.status == 422


async def test_unmute__idempotent(session, trio):
    alice, bob, _ = trio
    await check_mute(session, alice, bob)
    await do_unmute(session, alice, bob)
    await do_unmute(session, alice, bob)
    assert await total(session, Mute) == 0


async def test_block__self__422(session, trio):
    with pytest.raises(ApiError) as err:
        await check_block(session, trio[0], trio[0])
    assert err.value.status == 422


async def test_create_follow__existing_row__no_second_count(session, trio):
    from chaupal.actions.follows import do_create_follow

    alice, bob, _ = trio
    assert await do_create_follow(session, alice.id, bob.id) is True
    # The unique edge makes a concurrent twin a no-op (the insert runs in a savepoint).
    assert await do_create_follow(session, alice.id, bob.id) is False
    await session.commit()
    assert await total(session, Follow) == 1
    assert await counts(session, bob) == (1, 0)
    assert await counts(session, alice) == (0, 1)
