"""Notification entities, in batches; a notification whose status the viewer can no
longer see is dropped rather than rendered without it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import visible_clause
from chaupal.config import Settings
from chaupal.models import Account, Notification, Status
from chaupal.render import iso
from chaupal.render.accounts import render_account
from chaupal.render.statuses import render_statuses

# Types whose similar notifications share a group_key (Mastodon 4.3's grouped notifications);
# the rest are `ungrouped-<id>`, as Mastodon documents.
GROUPABLE = ("favourite", "reblog", "follow")


def group_key(n: Notification) -> str:
    if n.type not in GROUPABLE:
        return f"ungrouped-{n.id}"
    day = int(n.created_at.timestamp()) // 86400
    return f"{n.type}-{n.status_id}-{day}" if n.status_id else f"{n.type}-{day}"


async def render_notifications(
    session: AsyncSession, settings: Settings, notifications: list[Notification], viewer_id: int
) -> list[dict[str, Any]]:
    """Render `notifications` for `viewer_id` in order, dropping those whose status is hidden
    or whose sender is gone."""
    if not notifications:
        return []
    account_ids = {n.from_account_id for n in notifications}
    accounts = {
        a.id: a
        for a in (await session.scalars(select(Account).where(Account.id.in_(account_ids)))).all()
        if a.suspended_at is None
    }
    status_ids = {n.status_id for n in notifications if n.status_id is not None}
    statuses: list[Status] = []
    if status_ids:
        statuses = list(
            (
                await session.scalars(
                    select(Status).where(Status.id.in_(status_ids), visible_clause(viewer_id))
                )
            ).all()
        )
    rendered = {
        int(s["id"]): s for s in await render_statuses(session, settings, statuses, viewer_id)
    }
    out = []
    for n in notifications:
        account = accounts.get(n.from_account_id)
        if account is None:
            continue
        data: dict[str, Any] = {
            "id": str(n.id),
            "type": n.type,
            "created_at": iso(n.created_at),
            "group_key": group_key(n),
            "account": render_account(settings, account),
        }
        if n.status_id is not None:
            status = rendered.get(n.status_id)
            if status is None:
                continue
            data["status"] = status
        out.append(data)
    return out
