"""What the federation routes share: the ActivityStreams response, content negotiation, the
local account behind `/users/{username}`, and the account's public key (made on first need)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.errors import not_found
from chaupal.federation.keys import generate_keypair
from chaupal.models import Account

AS_CONTENT_TYPE = "application/activity+json; charset=utf-8"
AS_ACCEPT = ("application/activity+json", "application/ld+json")


class ActivityResponse(Response):
    """A JSON-LD document answered as `application/activity+json; charset=utf-8`."""

    media_type = AS_CONTENT_TYPE

    def __init__(self, content: Any, status_code: int = 200, headers: dict[str, str] | None = None):
        super().__init__(content, status_code=status_code, headers=headers)

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def wants_activity_json(request: Request) -> bool:
    """The client asked for ActivityStreams (activity+json, or ld+json with any profile)."""
    accept = request.headers.get("accept", "").lower()
    return any(kind in accept for kind in AS_ACCEPT)


async def local_account(session: AsyncSession, username: str) -> Account:
    """The local account `username` (any case), suspended or not; 404 when there is none."""
    if username.lower() == "instance.actor":  # the instance actor lives at /actor only
        raise not_found()
    account = await session.scalar(
        select(Account).where(Account.username_lower == username.lower(), Account.domain == "")
    )
    if account is None:
        raise not_found()
    return account


async def public_key_pem(request: Request, account: Account) -> str:
    """The account's public key. A key is made on first need in a short write transaction of its
    own (GET requests read in read-only sessions); a conditional UPDATE keeps the first key when
    two requests race, and everyone reads back the winner."""
    if account.public_key:
        return account.public_key
    state = request.app.state
    lock = getattr(state, "write_lock", None)
    private, public = generate_keypair()
    guard = lock if lock is not None else contextlib.nullcontext()
    async with guard, state.sessions() as session:
        await session.execute(
            update(Account)
            .where(Account.id == account.id, Account.public_key.is_(None))
            .values(public_key=public, private_key=private)
        )
        await session.commit()
        stored = await session.scalar(select(Account.public_key).where(Account.id == account.id))
    assert stored is not None
    return stored
