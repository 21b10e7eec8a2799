"""Relationships between accounts: follow (or request to follow a locked account), unfollow,
authorise/reject follow requests, block and mute. Every action is idempotent; counters move
only when a row really appeared or disappeared, with atomic `UPDATE ... SET x = x + 1`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions import audit
from chaupal.actions.analytics import do_log_unfollow
from chaupal.actions.counters import bump
from chaupal.actions.notifications import do_notify, do_unnotify
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import forbidden, unprocessable
from chaupal.federation import hooks
from chaupal.models import Account, Block, Follow, FollowRequest, Mute, Notification

LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")


def mute_active() -> Any:
    """SQL condition: the Mute row has not expired."""
    return or_(Mute.expires_at.is_(None), Mute.expires_at > utcnow())


async def _bump(session: AsyncSession, account_id: int, column: Any, delta: int) -> None:
    """Atomically add `delta` to a counter column; never below zero."""
    await bump(session, Account, account_id, **{column.key: delta})


async def _insert(session: AsyncSession, row: Any) -> bool:
    """Insert `row` in a savepoint; False when a unique edge already exists (a concurrent twin)."""
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


async def _edge(session: AsyncSession, model: Any, account_id: int, target_id: int) -> Any:
    return await session.scalar(
        select(model).where(model.account_id == account_id, model.target_account_id == target_id)
    )


async def is_blocked_either_way(session: AsyncSession, a: int, b: int) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    or_(
                        (Block.account_id == a) & (Block.target_account_id == b),
                        (Block.account_id == b) & (Block.target_account_id == a),
                    )
                )
            )
        )
    )


def check_languages(languages: list[str] | None) -> list[str] | None:
    """Lower-cased, de-duplicated ISO 639 codes; an empty list means all languages (None)."""
    if not languages:
        return None
    out: list[str] = []
    for raw in languages:
        code = str(raw).strip().lower()
        if not LANGUAGE_RE.match(code):
            raise unprocessable(f"languages contains an invalid language code: {str(raw)[:16]!r}")
        if code not in out:
            out.append(code)
    return out


async def check_follow(
    session: AsyncSession,
    settings: Settings,
    follower: Account,
    target: Account,
    *,
    reblogs: bool = True,
    notify: bool = False,
    languages: list[str] | None = None,
) -> None:
    """Follow `target`, or request to when it is locked; calling again updates the options."""
    if follower.id == target.id:
        raise unprocessable("You cannot follow yourself")
    if await is_blocked_either_way(session, follower.id, target.id):
        raise forbidden()
    langs = check_languages(languages)
    options = {"show_reblogs": reblogs, "notify": notify, "languages": langs}
    audit.record(session, follower.id, "follow.create", "account", target.id, target=target.acct)

    follow = await _edge(session, Follow, follower.id, target.id)
    if follow is not None:
        for key, value in options.items():
            setattr(follow, key, value)
        await session.flush()
        return
    if target.locked or not target.local:  # a remote account's Accept turns it into a Follow
        request = await _edge(session, FollowRequest, follower.id, target.id)
        if request is not None:
            for key, value in options.items():
                setattr(request, key, value)
            await session.flush()
            return
        row = FollowRequest(account_id=follower.id, target_account_id=target.id, **options)
        if await _insert(session, row):
            if target.local:
                await do_notify(
                    session, recipient_id=target.id, from_account_id=follower.id, type="follow_request"
                )
            else:
                await hooks.follow_requested(session, settings, follower, target, row)
        return
    # Unlocked: a request left over from when the account was locked becomes a follow.
    await _withdraw_request(session, follower.id, target.id)
    if await do_create_follow(session, follower.id, target.id, **options):
        await do_notify(session, recipient_id=target.id, from_account_id=follower.id, type="follow")


async def do_create_follow(
    session: AsyncSession,
    follower_id: int,
    target_id: int,
    *,
    show_reblogs: bool = True,
    notify: bool = False,
    languages: list[str] | None = None,
) -> bool:
    """Insert the Follow row and bump both counters; False if it already existed."""
    row = Follow(
        account_id=follower_id,
        target_account_id=target_id,
        show_reblogs=show_reblogs,
        notify=notify,
        languages=languages,
    )
    if not await _insert(session, row):
        return False
    await _bump(session, follower_id, Account.following_count, 1)
    await _bump(session, target_id, Account.followers_count, 1)
    return True


async def _remove_follow(session: AsyncSession, follower_id: int, target_id: int) -> bool:
    began = (
        await session.execute(
            delete(Follow)
            .where(Follow.account_id == follower_id, Follow.target_account_id == target_id)
            .returning(Follow.created_at)
        )
    ).scalars().all()
    if not began:
        return False
    do_log_unfollow(session, follower_id, target_id, began[0])  # analytics: unfollows per day
    await _bump(session, follower_id, Account.following_count, -1)
    await _bump(session, target_id, Account.followers_count, -1)
    await do_unnotify(session, recipient_id=target_id, from_account_id=follower_id, type="follow")
    return True


async def _withdraw_request(session: AsyncSession, requester_id: int, target_id: int) -> bool:
    result = await session.execute(
        delete(FollowRequest).where(
            FollowRequest.account_id == requester_id, FollowRequest.target_account_id == target_id
        )
    )
    if not result.rowcount:
        return False
    await do_unnotify(
        session, recipient_id=target_id, from_account_id=requester_id, type="follow_request"
    )
    return True


async def _remote_edge(session: AsyncSession, settings: Settings | None, local: Account, remote: Account, *models: Any) -> Any:
    """The first existing edge local->remote of `models`, only when it may need federating."""
    if settings is None or not local.local or remote.local:
        return None
    for model in models:
        row = await _edge(session, model, local.id, remote.id)
        if row is not None:
            return row
    return None


async def do_unfollow(
    session: AsyncSession, follower: Account, target: Account, *, settings: Settings | None = None
) -> None:
    """Stop following `target`, and withdraw a pending request to it. With `settings` (a local
    user's own action) a remote target is sent Undo(Follow)."""
    audit.record(session, follower.id, "follow.delete", "account", target.id, target=target.acct)
    row = await _remote_edge(session, settings, follower, target, Follow, FollowRequest)
    await hooks.unfollowed(session, settings, follower, target, row)
    await _remove_follow(session, follower.id, target.id)
    await _withdraw_request(session, follower.id, target.id)
    await session.flush()


async def do_remove_from_followers(
    session: AsyncSession, account: Account, follower: Account, *, settings: Settings | None = None
) -> None:
    """`account` removes `follower` from its followers (a pending request is left alone); a
    remote follower is sent Reject(Follow), as Mastodon does."""
    audit.record(session, account.id, "follower.remove", "account", follower.id, target=follower.acct)
    if settings is not None and account.local and not follower.local:
        row = await _edge(session, Follow, follower.id, account.id)
        await hooks.follow_answered(session, settings, account, follower, row, accepted=False)
    await _remove_follow(session, follower.id, account.id)
    await session.flush()


async def do_authorize_follow_request(
    session: AsyncSession, target: Account, requester: Account, *, settings: Settings | None = None
) -> bool:
    """Turn `requester`'s pending request into a Follow. Like Mastodon, the `follow_request`
    notification goes away and nobody gets a new one. False when there was no request."""
    request = await _edge(session, FollowRequest, requester.id, target.id)
    if request is None:
        return False
    audit.record(session, target.id, "follow_request.authorize", "account", requester.id, target=requester.acct)
    options = {
        "show_reblogs": request.show_reblogs,
        "notify": request.notify,
        "languages": request.languages,
    }
    await _withdraw_request(session, requester.id, target.id)
    await do_create_follow(session, requester.id, target.id, **options)
    if request.uri:  # the remote Follow's id stays on the follow (Undo finds it)
        await session.execute(
            update(Follow)
            .where(Follow.account_id == requester.id, Follow.target_account_id == target.id)
            .values(uri=request.uri)
            .execution_options(synchronize_session=False)
        )
    await hooks.follow_answered(session, settings, target, requester, request, accepted=True)
    await session.flush()
    return True


async def do_reject_follow_request(
    session: AsyncSession, target: Account, requester: Account, *, settings: Settings | None = None
) -> bool:
    """Drop `requester`'s pending request and its notification; False when there was none."""
    audit.record(session, target.id, "follow_request.reject", "account", requester.id, target=requester.acct)
    if settings is not None and target.local and not requester.local:
        request = await _edge(session, FollowRequest, requester.id, target.id)
        await hooks.follow_answered(session, settings, target, requester, request, accepted=False)
    removed = await _withdraw_request(session, requester.id, target.id)
    await session.flush()
    return removed


async def check_block(
    session: AsyncSession, account: Account, target: Account, *, settings: Settings | None = None
) -> None:
    """Block `target`: follows and pending requests both ways end (counters follow), their
    notifications go, and so does every notification `account` got from `target`. With
    `settings` (a local user's own action) a remote target is sent Block."""
    if account.id == target.id:
        raise unprocessable("You cannot block yourself")
    audit.record(session, account.id, "block.create", "account", target.id, target=target.acct)
    if await _edge(session, Block, account.id, target.id) is None:
        row = Block(account_id=account.id, target_account_id=target.id)
        if await _insert(session, row):
            await hooks.blocked(session, settings, account, target, row.id)
    await do_unfollow(session, account, target)
    await do_unfollow(session, target, account)
    await session.execute(
        delete(Notification).where(
            Notification.account_id == account.id, Notification.from_account_id == target.id
        )
    )
    await session.flush()


async def do_unblock(
    session: AsyncSession, account: Account, target: Account, *, settings: Settings | None = None
) -> None:
    audit.record(session, account.id, "block.delete", "account", target.id, target=target.acct)
    row = await _remote_edge(session, settings, account, target, Block)
    if row is not None:
        await hooks.blocked(session, settings, account, target, row.id, undo=True)
    await session.execute(
        delete(Block).where(Block.account_id == account.id, Block.target_account_id == target.id)
    )
    await session.flush()


async def check_mute(
    session: AsyncSession,
    account: Account,
    target: Account,
    *,
    notifications: bool = True,
    duration: int = 0,
) -> None:
    """Mute `target` (and its notifications, unless `notifications` is False) for `duration`
    seconds, 0 meaning until unmuted. Muting again replaces the options and the expiry."""
    if account.id == target.id:
        raise unprocessable("You cannot mute yourself")
    if duration < 0:
        raise unprocessable("duration must not be negative")
    audit.record(session, account.id, "mute.create", "account", target.id, target=target.acct)
    try:
        expires_at = utcnow() + timedelta(seconds=duration) if duration else None
    except OverflowError:
        raise unprocessable("duration is too long") from None
    mute = await _edge(session, Mute, account.id, target.id)
    if mute is None:
        mute = Mute(
            account_id=account.id,
            target_account_id=target.id,
            hide_notifications=notifications,
            expires_at=expires_at,
        )
        if await _insert(session, mute):
            return
        mute = await _edge(session, Mute, account.id, target.id)
    mute.hide_notifications = notifications
    mute.expires_at = expires_at
    await session.flush()


async def do_unmute(session: AsyncSession, account: Account, target: Account) -> None:
    audit.record(session, account.id, "mute.delete", "account", target.id, target=target.acct)
    await session.execute(
        delete(Mute).where(Mute.account_id == account.id, Mute.target_account_id == target.id)
    )
    await session.flush()
