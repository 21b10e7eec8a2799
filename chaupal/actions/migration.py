"""Moving a local account to another account, here or on another server (issue 7): the
aliases an account lists as moved-from (`alsoKnownAs`), and the Move itself — sent to the
followers' servers, with our own local followers switched to the new account at once.

Resolving a target and fetching a remote target's actor are network work: the caller does it
before the write transaction (see chaupal/api/chaupal/migration.py) and passes the results in."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions import audit
from chaupal.actions.follows import check_follow, do_unfollow, is_blocked_either_way
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError, unprocessable
from chaupal.federation import outbox, render
from chaupal.federation.keys import actor_uri
from chaupal.federation.render_objects import unix_ms
from chaupal.models import Account, Follow, User
from chaupal.security import verify_password


def account_actor_uri(settings: Settings, account: Account) -> str:
    """The ActivityPub id of an account, local or remote."""
    return actor_uri(settings, account) if account.local else (account.uri or "")


async def check_add_alias(
    session: AsyncSession, settings: Settings, account: Account, target: Account
) -> list[str]:
    """List `target` as an account `account` moved from (so `target` may Move here)."""
    if target.id == account.id:
        raise unprocessable("You cannot add yourself as an alias")
    uri = account_actor_uri(settings, target)
    if not uri:
        raise unprocessable("This account has no ActivityPub id")
    aliases = [a for a in (account.also_known_as or []) if isinstance(a, str)]
    if uri in aliases:
        return aliases
    if len(aliases) >= settings.account_max_aliases:
        raise unprocessable(f"You can list at most {settings.account_max_aliases} aliases")
    account.also_known_as = [*aliases, uri]
    audit.record(session, account.id, "account.alias.create", "account", target.id, uri=uri)
    await session.flush()
    return list(account.also_known_as)


async def do_remove_alias(session: AsyncSession, account: Account, uri: str) -> bool:
    """Stop listing `uri` as moved-from; False if it was not listed."""
    aliases = [a for a in (account.also_known_as or []) if isinstance(a, str)]
    if uri not in aliases:
        return False
    account.also_known_as = [a for a in aliases if a != uri]
    audit.record(session, account.id, "account.alias.delete", "account", account.id, uri=uri)
    await session.flush()
    return True


def check_password_for_move(user: User, password: str) -> None:
    """The current password, as Mastodon's moving form asks for it."""
    if not password or not verify_password(user.password_hash, password):
        raise ApiError(422, "Validation failed: Current password is invalid")


async def check_move(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    user: User,
    target: Account,
    *,
    password: str,
    target_aliases: list[str],
) -> int:
    """Move `account` to `target`. `target_aliases` is the target's alsoKnownAs as its own server
    states it now (for a remote target: fetched fresh from its origin by the caller). Sends Move
    to the followers' servers and switches local followers over; returns how many were."""
    check_password_for_move(user, password)
    if target.id == account.id:
        raise unprocessable("You cannot move to yourself")
    if target.suspended_at is not None:
        raise unprocessable("The target account is suspended")
    if target.moved_to_account_id is not None:
        raise unprocessable("The target account has itself moved")
    now = utcnow()
    cooldown = timedelta(seconds=settings.account_move_cooldown_seconds)
    if account.moved_at is not None and now - account.moved_at < cooldown:
        raise unprocessable(
            f"You can only move once every {settings.account_move_cooldown_seconds // 86400} days"
        )
    my_uri = account_actor_uri(settings, account)
    if my_uri not in target_aliases:
        raise unprocessable("The target account does not list this account as an alias")
    target_uri = account_actor_uri(settings, target)

    account.moved_to_account_id = target.id
    account.moved_at = now
    audit.record(session, account.id, "account.move", "account", target.id, target=target.acct)
    await outbox.publish(
        session, settings, account, render.move(settings, account, target_uri, unix_ms(now)),
        to_followers=True,
    )
    await session.flush()
    return await _switch_local_followers(session, settings, account, target)


async def _switch_local_followers(
    session: AsyncSession, settings: Settings, account: Account, target: Account
) -> int:
    """Each local follower unfollows `account` and follows `target` with the same options (a
    Follow request, federated, when `target` is remote or locked). Followers who block or are
    blocked by `target` only unfollow."""
    rows = (
        await session.execute(
            select(Follow, Account)
            .join(Account, Account.id == Follow.account_id)
            .where(Follow.target_account_id == account.id, Account.domain == "")
            .order_by(Follow.id)
        )
    ).all()
    switched = 0
    for follow, follower in rows:
        options = {
            "reblogs": follow.show_reblogs, "notify": follow.notify, "languages": follow.languages
        }
        await do_unfollow(session, follower, account)
        if follower.id == target.id or await is_blocked_either_way(session, follower.id, target.id):
            continue
        try:
            await check_follow(session, settings, follower, target, **options)
        except ApiError:
            continue
        switched += 1
    await session.flush()
    return switched
