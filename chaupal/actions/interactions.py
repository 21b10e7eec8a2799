"""What an account does to someone's status: reblog, favourite, bookmark, pin, and their undos.

Callers load the status with `access_status` first (so hidden statuses are already 404);
these functions apply Mastodon's further rules, counters and notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions import audit
from chaupal.actions.counters import bump
from chaupal.actions.notifications import do_notify, do_unnotify
from chaupal.actions.statuses import do_delete_status
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError, forbidden, unprocessable
from chaupal.events import publish_on_commit
from chaupal.federation import hooks
from chaupal.feeds.fanout import queue_fanout
from chaupal.lib.ids import new_id
from chaupal.models import Account, Block, Bookmark, Favourite, Status, StatusPin

REBLOG_VISIBILITIES = ("public", "unlisted", "private")


async def original_of(session: AsyncSession, status: Status) -> Status:
    """Acting on a reblog acts on the status it reblogs."""
    if status.reblog_of_id is None:
        return status
    original = await session.get(Status, status.reblog_of_id)
    if original is None:
        raise ApiError(404, "Record not found")
    return original


async def _blocks_author(session: AsyncSession, account: Account, status: Status) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    Block.account_id == account.id, Block.target_account_id == status.account_id
                )
            )
        )
    )


async def _insert_once(session: AsyncSession, row: Any, find: Any) -> tuple[Any, bool]:
    """Insert `row` unless a unique constraint says it exists; returns (row, created)."""
    existing = await session.scalar(find)
    if existing is not None:
        return existing, False
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return (await session.scalars(find)).one(), False
    return row, True


async def check_reblog(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    status: Status,
    visibility: str = "public",
    created_at: datetime | None = None,
) -> Status:
    """Reblog (boost) a status; reblogging again returns the existing reblog. Only public and
    unlisted posts can be reblogged, and private ones by their own author (staying private).
    `created_at` backdates it (demo data, imports), with an ID from that time."""
    original = await original_of(session, status)
    if original.visibility == "direct" or (
        original.visibility == "private" and original.account_id != account.id
    ):
        raise forbidden()
    if await _blocks_author(session, account, original):
        raise forbidden()
    if original.visibility == "private":
        visibility = "private"
    visibility = visibility or "public"
    if visibility not in REBLOG_VISIBILITIES:
        raise unprocessable("Visibility is not included in the list")
    sid = new_id(created_at) if created_at else new_id()
    reblog = Status(
        id=sid,
        created_at=created_at or utcnow(),
        account_id=account.id,
        reblog_of_id=original.id,
        uri=f"{settings.base_url}/users/{account.username}/statuses/{sid}/activity",
        url=None,
        visibility=visibility,
        conversation_id=original.conversation_id,
        local=True,
    )
    find = select(Status).where(Status.account_id == account.id, Status.reblog_of_id == original.id)
    reblog, created = await _insert_once(session, reblog, find)
    if created:
        await bump(session, Account, account.id, statuses_count=1, last_status_at=reblog.created_at)
        await bump(session, Status, original.id, reblogs_count=1)
        await do_notify(
            session,
            recipient_id=original.account_id,
            from_account_id=account.id,
            type="reblog",
            status_id=original.id,
        )
        audit.record(session, account.id, "reblog.create", "status", original.id)
        await queue_fanout(session, settings, reblog)
        await hooks.reblogged(session, settings, account, reblog)  # Announce to remote followers
        publish_on_commit(  # home streams (not status.created: a reblog is no new post)
            session,
            {"type": "status.reblogged", "status_id": str(reblog.id), "account_id": str(account.id),
             "visibility": reblog.visibility},
        )
    return reblog


async def do_unreblog(
    session: AsyncSession, account: Account, status: Status, *, settings: Settings | None = None
) -> Status:
    """Undo the account's reblog of `status` (or of what `status` reblogs); returns the original.
    With `settings` (a local user's own action) remote followers get Undo(Announce)."""
    original = await original_of(session, status)
    reblog = await session.scalar(
        select(Status).where(Status.account_id == account.id, Status.reblog_of_id == original.id)
    )
    if reblog is not None:
        await do_delete_status(session, reblog, settings=settings)
    return original


async def check_favourite(
    session: AsyncSession,
    account: Account,
    status: Status,
    created_at: datetime | None = None,
    *,
    settings: Settings | None = None,
) -> Status:
    """Favourite a status once (again is a no-op); notifies its author. Returns the original.
    `created_at` backdates it (demo data, imports), with an ID from that time."""
    original = await original_of(session, status)
    if await _blocks_author(session, account, original):
        raise forbidden()
    find = select(Favourite).where(
        Favourite.account_id == account.id, Favourite.status_id == original.id
    )
    favourite, created = await _insert_once(
        session,
        Favourite(
            id=new_id(created_at) if created_at else new_id(),
            account_id=account.id,
            status_id=original.id,
            created_at=created_at or utcnow(),
        ),
        find,
    )
    if created:
        await bump(session, Status, original.id, favourites_count=1)
        await do_notify(
            session,
            recipient_id=original.account_id,
            from_account_id=account.id,
            type="favourite",
            status_id=original.id,
        )
        audit.record(session, account.id, "favourite.create", "status", original.id)
        await hooks.favourited(session, settings, account, original, favourite.id)  # Like, remote posts
    return original


async def do_unfavourite(
    session: AsyncSession, account: Account, status: Status, *, settings: Settings | None = None
) -> Status:
    original = await original_of(session, status)
    removed = (
        await session.execute(
            delete(Favourite)
            .where(Favourite.account_id == account.id, Favourite.status_id == original.id)
            .returning(Favourite.id)
        )
    ).scalars().all()
    if removed:
        await hooks.favourited(session, settings, account, original, removed[0], undo=True)
        audit.record(session, account.id, "favourite.delete", "status", original.id)
        await bump(session, Status, original.id, favourites_count=-1)
        await do_unnotify(
            session,
            recipient_id=original.account_id,
            from_account_id=account.id,
            type="favourite",
            status_id=original.id,
        )
    return original


async def do_bookmark(session: AsyncSession, account: Account, status: Status) -> Status:
    original = await original_of(session, status)
    find = select(Bookmark).where(
        Bookmark.account_id == account.id, Bookmark.status_id == original.id
    )
    await _insert_once(session, Bookmark(account_id=account.id, status_id=original.id), find)
    return original


async def do_unbookmark(session: AsyncSession, account: Account, status: Status) -> Status:
    original = await original_of(session, status)
    await session.execute(
        delete(Bookmark).where(Bookmark.account_id == account.id, Bookmark.status_id == original.id)
    )
    return original


async def check_pin(
    session: AsyncSession, settings: Settings, account: Account, status: Status
) -> Status:
    """Pin one of the account's own public, unlisted or private posts (not a reblog), up to
    `settings.max_pins`. Pinning an already pinned post is a no-op."""
    if status.reblog_of_id is not None:
        raise unprocessable("Pinning a boost is not possible")
    if status.account_id != account.id:
        raise unprocessable("Pinning someone else's post is not possible")
    if status.visibility == "direct":
        raise unprocessable("Direct messages cannot be pinned")
    find = select(StatusPin).where(
        StatusPin.account_id == account.id, StatusPin.status_id == status.id
    )
    if await session.scalar(find) is not None:
        return status
    pinned = await session.scalar(select(func.count()).where(StatusPin.account_id == account.id))
    if (pinned or 0) >= settings.max_pins:
        raise unprocessable("You have already pinned the maximum number of posts")
    await _insert_once(session, StatusPin(account_id=account.id, status_id=status.id), find)
    audit.record(session, account.id, "pin.create", "status", status.id)
    return status


async def do_unpin(session: AsyncSession, account: Account, status: Status) -> Status:
    await session.execute(
        delete(StatusPin).where(
            StatusPin.account_id == account.id, StatusPin.status_id == status.id
        )
    )
    audit.record(session, account.id, "pin.delete", "status", status.id)
    return status


__all__ = [
    "check_favourite",
    "check_pin",
    "check_reblog",
    "do_bookmark",
    "do_unbookmark",
    "do_unfavourite",
    "do_unpin",
    "do_unreblog",
    "original_of",
]
