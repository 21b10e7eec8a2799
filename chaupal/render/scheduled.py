"""ScheduledStatus entities as Mastodon documents them, with a `chaupal` object for approval
drafts (state, who wrote it, who reviewed it), for a page of rows in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.models import Account, MediaAttachment, ScheduledStatus, User
from chaupal.render import iso
from chaupal.render.media import render_media


async def render_scheduled_statuses(
    session: AsyncSession, settings: Settings, rows: Sequence[ScheduledStatus]
) -> list[dict[str, Any]]:
    media_ids = {int(m) for row in rows for m in row.media_ids or []}
    media = (
        {
            m.id: m
            for m in (
                await session.scalars(select(MediaAttachment).where(MediaAttachment.id.in_(media_ids)))
            ).all()
        }
        if media_ids
        else {}
    )
    user_ids = {u for row in rows for u in (row.created_by_user_id, row.approved_by_user_id) if u}
    handles: dict[int, str] = {}
    if user_ids:
        for uid, username in (
            await session.execute(
                select(User.id, Account.username).join(Account, Account.id == User.account_id).where(
                    User.id.in_(user_ids)
                )
            )
        ).all():
            handles[uid] = username
    out = []
    for row in rows:
        p = row.params or {}
        attached = [media[int(m)] for m in row.media_ids or [] if int(m) in media]
        chaupal: dict[str, Any] = {"state": row.state}
        if row.created_by_user_id in handles:
            chaupal["created_by"] = handles[row.created_by_user_id]  # type: ignore[index]
        if row.approved_at is not None:
            chaupal["reviewed_by"] = handles.get(row.approved_by_user_id or 0)
            chaupal["reviewed_at"] = iso(row.approved_at)
        if row.status_id is not None:
            chaupal["status_id"] = str(row.status_id)
        out.append(
            {
                "id": str(row.id),
                "scheduled_at": iso(row.scheduled_at),
                "params": {
                    "text": p.get("text") or "",
                    "poll": None,
                    "media_ids": list(row.media_ids) or None,
                    "sensitive": p.get("sensitive"),
                    "spoiler_text": p.get("spoiler_text"),
                    "visibility": p.get("visibility"),
                    "language": p.get("language"),
                    "scheduled_at": None,
                    "idempotency": None,
                    "with_rate_limit": False,
                    "in_reply_to_id": p.get("in_reply_to_id"),
                    "application_id": str(row.application_id) if row.application_id else None,
                },
                "media_attachments": [render_media(settings, m) for m in attached],
                "chaupal": chaupal,
            }
        )
    return out


async def render_scheduled_status(
    session: AsyncSession, settings: Settings, row: ScheduledStatus
) -> dict[str, Any]:
    return (await render_scheduled_statuses(session, settings, [row]))[0]
