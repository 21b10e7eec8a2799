"""Row factories for feed, notification and search tests: insert Status, Follow, Tag,
Favourite, Notification ... rows directly, without the actions' validation or side effects."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.lib.ids import new_id
from chaupal.models import (
    Block,
    Bookmark,
    Favourite,
    Follow,
    Mention,
    Mute,
    Notification,
    Status,
    StatusTag,
    Tag,
)


def _tag_key(name: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


async def tag(session: AsyncSession, name: str) -> Tag:
    from sqlalchemy import select

    existing = await session.scalar(select(Tag).where(Tag.name_lower == _tag_key(name)))
    if existing:
        return existing
    row = Tag(name=name, name_lower=_tag_key(name))
    session.add(row)
    await session.flush()
    return row


async def status(
    session: AsyncSession,
    account_id: int,
    text: str = "hello",
    *,
    visibility: str = "public",
    reply_to: Status | None = None,
    reblog_of: Status | None = None,
    tags: list[str] = (),  # type: ignore[assignment]
    mentions: list[int] = (),  # type: ignore[assignment]
    local: bool = True,
    created_at: datetime | None = None,
) -> Status:
    row = Status(
        id=new_id(created_at),
        account_id=account_id,
        text="" if reblog_of else text,
        content="" if reblog_of else f"<p>{text}</p>",
        visibility=visibility,
        in_reply_to_id=reply_to.id if reply_to else None,
        in_reply_to_account_id=reply_to.account_id if reply_to else None,
        conversation_id=(reply_to.conversation_id or reply_to.id) if reply_to else None,
        reblog_of_id=reblog_of.id if reblog_of else None,
        local=local,
    )
    if created_at is not None:
        row.created_at = created_at
    session.add(row)
    await session.flush()
    for name in tags:
        t = await tag(session, name)
        session.add(StatusTag(status_id=row.id, tag_id=t.id))
    for aid in mentions:
        session.add(Mention(status_id=row.id, account_id=aid))
    await session.flush()
    return row


async def follow(
    session: AsyncSession, account_id: int, target_id: int, *, show_reblogs: bool = True
) -> Follow:
    row = Follow(account_id=account_id, target_account_id=target_id, show_reblogs=show_reblogs)
    session.add(row)
    await session.flush()
    return row


async def block(session: AsyncSession, account_id: int, target_id: int) -> Block:
    row = Block(account_id=account_id, target_account_id=target_id)
    session.add(row)
    await session.flush()
    return row


async def mute(
    session: AsyncSession, account_id: int, target_id: int, *, notifications: bool = True
) -> Mute:
    row = Mute(account_id=account_id, target_account_id=target_id, hide_notifications=notifications)
    session.add(row)
    await session.flush()
    return row


async def favourite(session: AsyncSession, account_id: int, status_row: Status) -> Favourite:
    row = Favourite(account_id=account_id, status_id=status_row.id)
    session.add(row)
    await session.execute(
        update(Status)
        .where(Status.id == status_row.id)
        .values(favourites_count=Status.favourites_count + 1)
    )
    await session.flush()
    return row


async def bookmark(session: AsyncSession, account_id: int, status_row: Status) -> Bookmark:
    row = Bookmark(account_id=account_id, status_id=status_row.id)
    session.add(row)
    await session.flush()
    return row


async def notification(
    session: AsyncSession,
    recipient_id: int,
    from_id: int,
    type: str,
    status_row: Status | None = None,
) -> Notification:
    row = Notification(
        account_id=recipient_id,
        from_account_id=from_id,
        type=type,
        status_id=status_row.id if status_row else None,
    )
    session.add(row)
    await session.flush()
    return row


# Through the HTTP API, for endpoint tests (the statuses and relationships actions run).


async def post(client, user, text: str = "hello", **fields) -> dict:
    r = await client.post("/api/v1/statuses", json={"status": text, **fields}, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def follow_api(client, user, target) -> None:
    r = await client.post(f"/api/v1/accounts/{target.account_id}/follow", headers=user.headers)
    assert r.status_code == 200, r.text


async def walk(
    client, url: str, user, direction: str = "next", params: dict | None = None
) -> list[list[str]]:
    """Follow `Link` rel=`direction` until an empty page; the IDs of each page."""
    pages = []
    r = await client.get(url, params=params or {}, headers=user.headers if user else {})
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        if not body:
            return pages
        pages.append([item["id"] for item in body])
        link = r.links.get(direction)
        assert link, r.headers
        r = await client.get(link["url"], headers=user.headers if user else {})
