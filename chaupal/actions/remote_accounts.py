"""Remote accounts (issue 7): stored or refreshed from an actor document fetched from the
actor's own origin (the only way a public key is set or changed), profile updates that arrive
in an `Update(Person)`, moves, and the removal of an actor that deleted itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions import audit
from chaupal.actions.follows import do_unfollow
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.federation.media_cache import set_remote_profile_images
from chaupal.models import Account, Follow, FollowRequest, Status

if TYPE_CHECKING:
    from chaupal.federation.remote import ActorData

_PROFILE = (
    "display_name", "note_html", "fields", "url", "locked", "bot", "discoverable", "indexable",
    "actor_type", "inbox_url", "shared_inbox_url", "outbox_url", "followers_url",
    "following_url", "featured_url",
)  # avatar/header URLs: set by media_cache.set_remote_profile_images (it caches them)


def _apply_profile(account: Account, data: ActorData) -> None:
    for name in _PROFILE:
        setattr(account, name, getattr(data, name))
    account.note = ""  # remote notes exist only as sanitised HTML


async def _free_username(session: AsyncSession, data: ActorData) -> None:
    """Another actor held `username@domain` before (the server reused the name): that older
    account keeps its posts under a renamed handle, as Mastodon does."""
    stale = await session.scalar(
        select(Account).where(
            Account.username_lower == data.username.lower(),
            Account.domain == data.domain,
            Account.uri != data.uri,
        )
    )
    if stale is not None:
        stale.username = stale.username_lower = f"{data.username[:40]}_stale_{stale.id}"[:64]
        await session.flush()


async def do_store_remote_account(
    session: AsyncSession, settings: Settings, data: ActorData
) -> Account:
    """Create or refresh the account of a remote actor from a document fetched from its own
    origin (the caller guarantees that): profile, endpoints and the public key. Safe when two
    deliveries store the same new actor at once."""
    account = await session.scalar(select(Account).where(Account.uri == data.uri).limit(1))
    if account is None:
        await _free_username(session, data)
        account = Account(
            username=data.username,
            username_lower=data.username.lower(),
            domain=data.domain,
            uri=data.uri,
        )
        _apply_profile(account, data)
        account.public_key, account.key_id = data.public_key, data.key_id
        account.last_fetched_at = utcnow()
        try:
            async with session.begin_nested():
                session.add(account)
                await session.flush()
        except IntegrityError:  # a concurrent delivery stored it first
            account = (
                await session.scalars(select(Account).where(Account.uri == data.uri))
            ).one()
        else:
            await set_remote_profile_images(
                session, account, data.avatar_remote_url, data.header_remote_url
            )
            return account
    if account.username != data.username:
        await _free_username(session, data)
        account.username, account.username_lower = data.username, data.username.lower()
    _apply_profile(account, data)
    await set_remote_profile_images(
        session, account, data.avatar_remote_url, data.header_remote_url
    )
    if data.public_key:  # fetched from the origin: the one place a key may change
        account.public_key, account.key_id = data.public_key, data.key_id
    account.last_fetched_at = utcnow()
    await session.flush()
    return account


async def do_update_remote_profile(session: AsyncSession, account: Account, data: ActorData) -> None:
    """Apply the profile of an `Update(Person)` the actor signed. The key is NOT taken from
    it: only a refetch from the actor's origin (`do_store_remote_account`) changes the key."""
    if account.local or data.uri != account.uri:
        return
    _apply_profile(account, data)
    await set_remote_profile_images(
        session, account, data.avatar_remote_url, data.header_remote_url
    )
    await session.flush()


async def do_set_moved(session: AsyncSession, account: Account, target: Account) -> None:
    """`account` moved to `target` (already checked: the target lists it in alsoKnownAs).
    Local followers follow the new account, as Mastodon does."""
    from chaupal.actions.follows import do_create_follow

    account.moved_to_account_id = target.id
    followers = (
        await session.scalars(
            select(Follow).where(Follow.target_account_id == account.id).join(
                Account, Account.id == Follow.account_id
            ).where(Account.domain == "")
        )
    ).all()
    for follow in followers:
        if follow.account_id != target.id:
            await do_create_follow(session, follow.account_id, target.id)
    audit.record(session, account.id, "account.move", "account", target.id, target=target.acct)
    await session.flush()


async def do_remove_remote_account(session: AsyncSession, account: Account) -> None:
    """The actor deleted itself: suspend the account, end its follows both ways and remove
    its posts (a Tombstone-like record is the suspension itself)."""
    from chaupal.actions.statuses import do_delete_status

    if account.local:
        return
    account.suspended_at = account.suspended_at or utcnow()
    others = (
        await session.scalars(
            select(Account).join(
                Follow,
                or_(
                    (Follow.account_id == account.id) & (Follow.target_account_id == Account.id),
                    (Follow.target_account_id == account.id) & (Follow.account_id == Account.id),
                ),
            )
        )
    ).all()
    for other in others:
        await do_unfollow(session, account, other)
        await do_unfollow(session, other, account)
    await session.execute(
        delete(FollowRequest).where(
            or_(FollowRequest.account_id == account.id, FollowRequest.target_account_id == account.id)
        )
    )
    while True:
        batch = (
            await session.scalars(
                select(Status.id).where(Status.account_id == account.id).order_by(Status.id).limit(100)
            )
        ).all()
        if not batch:
            break
        for sid in batch:  # one at a time: deleting a post also deletes its reblogs
            status = await session.get(Status, sid)
            if status is not None:
                await do_delete_status(session, status)
    await session.flush()
