"""Who may read an account's analytics: the account itself, and for an institution its
members with role owner or analyst (also through a delegated token). Everyone else: 403."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.errors import ApiError, not_found
from chaupal.models import Account, InstitutionMember, User

READER_ROLES = ("owner", "analyst")


def _id(value: Any) -> int | None:
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return int(text) if text.isdigit() and len(text) <= 19 else None


async def may_read_analytics(session: AsyncSession, user: User, account_id: int) -> bool:
    if user.account_id == account_id:
        return True
    role = await session.scalar(
        select(InstitutionMember.role).where(
            InstitutionMember.institution_account_id == account_id, InstitutionMember.user_id == user.id
        )
    )
    return role in READER_ROLES


async def access_analytics(session: AsyncSession, user: User, account_id: Any) -> Account:
    """The local account whose analytics `user` asks for: 404 if there is none, 403 if the user
    is neither that account nor an owner or analyst of it. A delegated token is judged by the
    staff member's own role, so an editor acting for a ministry is refused too."""
    key = _id(account_id)
    account = await session.get(Account, key) if key is not None else None
    if account is None or not account.local or account.suspended_at is not None:
        raise not_found("Account")
    if not await may_read_analytics(session, user, account.id):
        raise ApiError(403, "Only the account itself, and an institution's owners and analysts, may see its analytics")
    return account
