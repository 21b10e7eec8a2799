"""Creating and clearing notifications, honouring the recipient's blocks and mutes."""

from __future__ import annotations

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.db import utcnow
from chaupal.events import publish_on_commit
from chaupal.federation.policy import silenced
from chaupal.models import Account, Block, Follow, Mute, Notification
from chaupal.models.federation import AccountDomainBlock


async def do_notify(
    session: AsyncSession,
    *,
    recipient_id: int,
    from_account_id: int,
    type: str,
    status_id: int | None = None,
) -> Notification | None:
    """Notify `recipient_id` unless it is the sender, or the recipient blocked the sender (or
    their domain) or muted them with notifications hidden, or the sender's domain is silenced by
    the operator and the recipient does not follow them (Mastodon's "limited" accounts). Returns the notification, or None when suppressed."""
    if recipient_id == from_account_id:
        return None
    suppressed = await session.scalar(
        select(
            exists().where(Block.account_id == recipient_id, Block.target_account_id == from_account_id)
            | exists().where(  # the recipient blocked the sender's whole (remote) domain
                AccountDomainBlock.account_id == recipient_id,
                AccountDomainBlock.domain
                == select(Account.domain).where(Account.id == from_account_id).scalar_subquery(),
            )
            | (  # the operator silenced the sender's domain, and the recipient doesn't follow them
                silenced(from_account_id)
                & ~exists().where(
                    Follow.account_id == recipient_id, Follow.target_account_id == from_account_id
                )
            )
            | exists().where(
                Mute.account_id == recipient_id,
                Mute.target_account_id == from_account_id,
                Mute.hide_notifications.is_(True),
                or_(Mute.expires_at.is_(None), Mute.expires_at > utcnow()),
            )
        )
    )
    if suppressed:
        return None
    notification = Notification(
        account_id=recipient_id, from_account_id=from_account_id, type=type, status_id=status_id
    )
    session.add(notification)
    await session.flush()
    publish_on_commit(  # the streaming API's `notification` event
        session,
        {"type": "notification.created", "notification_id": str(notification.id), "account_id": str(recipient_id)},
    )
    return notification


async def do_unnotify(
    session: AsyncSession,
    *,
    recipient_id: int,
    from_account_id: int,
    type: str,
    status_id: int | None = None,
) -> None:
    """Remove a notification whose cause was undone (unfavourite, unfollow, withdrawn request)."""
    stmt = delete(Notification).where(
        Notification.account_id == recipient_id,
        Notification.from_account_id == from_account_id,
        Notification.type == type,
    )
    if status_id is not None:
        stmt = stmt.where(Notification.status_id == status_id)
    await session.execute(stmt)
