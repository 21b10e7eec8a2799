"""Helpers for the relationship API tests: a fresh DB session per check, a snapshot of every
relationship table and counter (to show a rejected request changed nothing), Link following,
and a small Status inserter for tests that need posts."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.lib.ids import new_id
from chaupal.models import (
    Account,
    Block,
    Follow,
    FollowRequest,
    Mute,
    Notification,
    Status,
    StatusPin,
    StatusTag,
    Tag,
)


@asynccontextmanager
async def db(app: Any) -> AsyncIterator[AsyncSession]:
    """A short-lived session that commits on exit (never hold one open across HTTP calls)."""
    async with app.state.sessions() as session:
        yield session
        await session.commit()


async def snapshot(app: Any) -> dict[str, Any]:
    async with db(app) as s:
        out: dict[str, Any] = {}
        for model in (Follow, FollowRequest, Block, Mute, Notification):
            rows = await s.execute(select(model).order_by(model.id))
            out[model.__tablename__] = [
                {c.name: getattr(r, c.name) for c in model.__table__.columns} for r in rows.scalars()
            ]
        counters = await s.execute(
            select(Account.id, Account.followers_count, Account.following_count).order_by(Account.id)
        )
        out["counters"] = [tuple(r) for r in counters.all()]
        return out


async def count(app: Any, model: Any, *where: Any) -> int:
    async with db(app) as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where))


async def account(app: Any, account_id: int) -> Account:
    async with db(app) as s:
        return await s.get(Account, account_id)


async def set_fields(app: Any, account_id: int, **fields: Any) -> None:
    async with db(app) as s:
        row = await s.get(Account, account_id)
        for key, value in fields.items():
            setattr(row, key, value)


async def post(
    app: Any,
    account_id: int,
    text: str = "hello",
    *,
    visibility: str = "public",
    reply_to: Status | None = None,
    reblog_of: Status | None = None,
    tags: tuple[str, ...] = (),
    pinned: bool = False,
) -> Status:
    """Insert a Status row directly (no parsing, counters or notifications)."""
    async with db(app) as s:
        row = Status(
            id=new_id(),
            account_id=account_id,
            text="" if reblog_of else text,
            content="" if reblog_of else f"<p>{text}</p>",
            visibility=visibility,
            in_reply_to_id=reply_to.id if reply_to else None,
            in_reply_to_account_id=reply_to.account_id if reply_to else None,
            reblog_of_id=reblog_of.id if reblog_of else None,
        )
        s.add(row)
        await s.flush()
        for name in tags:
            tag = await s.scalar(select(Tag).where(Tag.name_lower == name.lower()))
            if tag is None:
                tag = Tag(name=name, name_lower=name.lower())
                s.add(tag)
                await s.flush()
            s.add(StatusTag(status_id=row.id, tag_id=tag.id))
        if pinned:
            s.add(StatusPin(account_id=account_id, status_id=row.id))
        return row


def next_link(response: Any) -> str | None:
    match = re.search(r'<([^>]+)>; rel="next"', response.headers.get("link", ""))
    return match.group(1) if match else None


async def follow_all_pages(client: Any, url: str, headers: dict[str, str] | None = None) -> list[list[str]]:
    """GET `url`, then each `next` link until a page comes back empty; the IDs of every page."""
    pages: list[list[str]] = []
    current: str | None = url
    while current is not None:
        resp = await client.get(current, headers=headers or {})
        assert resp.status_code == 200, resp.text
        ids = [item["id"] for item in resp.json()]
        if not ids:
            assert next_link(resp) is None
            break
        pages.append(ids)
        current = next_link(resp)
        assert len(pages) < 100, "paging does not terminate"
    return pages
