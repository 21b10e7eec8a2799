"""Impersonation flags: an account whose username or display name looks like a verified
account's (same TR39-style skeleton) gets a ModerationFlag in the same transaction; moderators
resolve flags. It works both ways: a new or renamed account is compared with the verified ones,
and an account being verified is compared with every existing local account, so a look-alike
registered before the real ministry was verified is caught too. Each account's two skeletons are
stored in indexed columns, so both directions are index look-ups, not scans."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
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


def store_skeletons(account: Account) -> dict[str, str]:
    """Keep the account's name skeletons in its indexed columns; returns {field: skeleton}."""
    names = _names(account.username, account.display_name)
    account.username_skeleton = names.get("username")
    account.display_name_skeleton = names.get("display_name")
    return names


def _matching(skeletons: set[str]) -> Any:
    return or_(Account.username_skeleton.in_(skeletons), Account.display_name_skeleton.in_(skeletons))


async def _flag_pair(session: AsyncSession, imitator: Account, verified: Account) -> ModerationFlag | None:
    """A flag on `imitator` for looking like `verified`, unless their names don't match or an
    open flag for the pair exists already."""
    mine = _names(imitator.username, imitator.display_name)
    theirs = _names(verified.username, verified.display_name)
    matches = [
        {"field": field, "value": getattr(imitator, field), "imitates_field": other,
         "imitates": verified.username if other == "username" else verified.display_name,
         "skeleton": skel}
        for field, skel in mine.items()
        for other, their_skel in theirs.items()
        if skel == their_skel
    ]
    if not matches:
        return None
    open_flag = await session.scalar(
        select(ModerationFlag.id).where(
            ModerationFlag.account_id == imitator.id,
            ModerationFlag.related_account_id == verified.id,
            ModerationFlag.kind == "impersonation",
            ModerationFlag.resolved_at.is_(None),
        )
    )
    if open_flag is not None:
        return None
    flag = ModerationFlag(
        account_id=imitator.id, kind="impersonation", related_account_id=verified.id,
        detail={"matches": matches},
    )
    session.add(flag)
    return flag


async def do_flag_lookalikes(session: AsyncSession, account: Account) -> list[ModerationFlag]:
    """Store `account`'s skeletons and flag it for each verified local account (other than
    itself) whose username or display name has the same skeleton as its own."""
    mine = store_skeletons(account)
    await session.flush()
    if not mine:
        return []
    verified = (
        await session.scalars(
            select(Account).where(
                Account.verification.is_not(None), Account.id != account.id, Account.domain == "",
                _matching(set(mine.values())),
            )
        )
    ).all()
    flags = [f for v in verified if (f := await _flag_pair(session, account, v)) is not None]
    if flags:
        await session.flush()
    return flags


async def do_flag_imitators(session: AsyncSession, verified: Account) -> list[ModerationFlag]:
    """`verified` has just been verified: flag every unverified local account that already
    looks like it (decision 113)."""
    theirs = store_skeletons(verified)
    await session.flush()
    if not theirs:
        return []
    imitators = (
        await session.scalars(
            select(Account).where(
                Account.verification.is_(None), Account.id != verified.id, Account.domain == "",
                _matching(set(theirs.values())),
            )
        )
    ).all()
    flags = [f for a in imitators if (f := await _flag_pair(session, a, verified)) is not None]
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
