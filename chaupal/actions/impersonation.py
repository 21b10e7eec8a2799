"""Impersonation flags: an account whose username or display name looks like a verified
account's (same TR39-style skeleton) gets a ModerationFlag in the same transaction; moderators
resolve flags.

Verified accounts are few (government, officials, notable people: thousands, not millions), so
the check loads their names in one query and compares skeletons in memory (skeletons are cached
per process); no column or index is needed. If verified accounts ever number in the hundreds of
thousands, keep their skeletons in an indexed column instead."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.db import utcnow
from chaupal.errors import unprocessable
from chaupal.gov.confusables import comparable
from chaupal.models import Account, ModerationFlag


def _names(account_username: str, display_name: str) -> dict[str, str]:
    """{field: skeleton} for the names worth comparing."""
    out = {}
    for field, value in (("username", account_username), ("display_name", display_name)):
        skel = comparable(value)
        if skel:
            out[field] = skel
    return out


async def do_flag_lookalikes(session: AsyncSession, account: Account) -> list[ModerationFlag]:
    """Flag `account` for each verified account (other than itself) whose username or display
    name has the same skeleton as its own; an open flag for the same pair is not repeated."""
    mine = _names(account.username, account.display_name)
    if not mine:
        return []
    rows = (
        await session.execute(
            select(Account.id, Account.username, Account.display_name).where(
                Account.verification.is_not(None), Account.id != account.id, Account.domain == ""
            )
        )
    ).all()
    flags = []
    for vid, vname, vdisplay in rows:
        theirs = _names(vname, vdisplay)
        matches = [
            {"field": field, "value": getattr(account, field), "imitates_field": other,
             "imitates": vname if other == "username" else vdisplay, "skeleton": skel}
            for field, skel in mine.items()
            for other, their_skel in theirs.items()
            if skel == their_skel
        ]
        if not matches:
            continue
        open_flag = await session.scalar(
            select(ModerationFlag.id).where(
                ModerationFlag.account_id == account.id,
                ModerationFlag.related_account_id == vid,
                ModerationFlag.kind == "impersonation",
                ModerationFlag.resolved_at.is_(None),
            )
        )
        if open_flag is not None:
            continue
        detail: dict[str, Any] = {"matches": matches}
        flag = ModerationFlag(
            account_id=account.id, kind="impersonation", related_account_id=vid, detail=detail
        )
        session.add(flag)
        flags.append(flag)
    if flags:
        await session.flush()
    return flags


async def check_resolve_flag(
    session: AsyncSession, flag: ModerationFlag, moderator: Account | None
) -> ModerationFlag:
    if flag.resolved_at is not None:
        raise unprocessable("the flag is already resolved")
    flag.resolved_at = utcnow()
    flag.resolved_by_account_id = moderator.id if moderator else None
    await session.flush()
    return flag
