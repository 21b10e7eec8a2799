"""Who may see an account's advice: the account itself, and for an institution its owners and
analysts. A delegated token acting for it counts as its staff member's role (owner yes, editor
no); others get 403."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import access_account
from chaupal.actions.members import member_role
from chaupal.errors import ApiError
from chaupal.models import Account, User

READER_ROLES = ("owner", "analyst")


async def may_read_insights(session: AsyncSession, user: User, account: Account) -> bool:
    if user.account_id == account.id:
        return True
    return await member_role(session, account.id, user.id) in READER_ROLES


async def access_advice(session: AsyncSession, user: User, account_id: int | str) -> Account:
    """The account whose advice the caller asks for (404 if missing), or 403."""
    account = await access_account(session, account_id)
    if not account.local:
        raise ApiError(404, "Record not found")
    if not await may_read_insights(session, user, account):
        raise ApiError(403, "Only the account itself and its institution's owners and analysts may see this")
    return account
