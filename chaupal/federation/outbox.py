"""Sending activities: `publish` is called by actions inside the write's transaction and only
enqueues one durable `ap_distribute` job (no network in the request); delivery.py resolves the
audience, one delivery per remote server, and retries. A purely local audience costs one query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.jobs import enqueue
from chaupal.models import Account, Follow

DISTRIBUTE = "ap_distribute"


async def has_remote_followers(session: AsyncSession, account_id: int) -> bool:
    """One indexed query (follows by target, accounts by domain)."""
    row = await session.scalar(
        select(Follow.id)
        .join(Account, Account.id == Follow.account_id)
        .where(Follow.target_account_id == account_id, Account.domain != "")
        .limit(1)
    )
    return row is not None


async def publish(
    session: AsyncSession,
    settings: Settings,
    actor: Account,
    activity: dict[str, Any],
    *,
    to_followers: bool = True,
    inboxes: Sequence[str] = (),
) -> None:
    """Queue `activity` (by local `actor`) for its remote followers' inboxes (`to_followers`)
    and/or the given `inboxes`, in the caller's transaction: rolled back with it, sent after it
    commits. Nothing when federation is off or nobody remote would receive it."""
    if not settings.federation_enabled or not actor.local:
        return
    targets = [i for i in dict.fromkeys(inboxes) if i]
    if to_followers and not targets and not await has_remote_followers(session, actor.id):
        to_followers = False
    if not to_followers and not targets:
        return
    await enqueue(
        session,
        DISTRIBUTE,
        {"actor_id": str(actor.id), "activity": activity, "to_followers": to_followers, "inboxes": targets},
    )


def inbox_of(account: Account) -> str | None:
    """Where activities for one remote account go: its own inbox (Follow, Block, Like...)."""
    return account.inbox_url or account.shared_inbox_url or None


def server_inbox_of(account: Account) -> str | None:
    """Where public activities for a remote server go: its shared inbox if it has one."""
    return account.shared_inbox_url or account.inbox_url or None
