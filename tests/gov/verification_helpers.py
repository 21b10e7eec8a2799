"""Helpers for the verification tests: staff tokens, institutions and persons made through
the actions, and the admin API prefix."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from chaupal.actions.gov_accounts import InstitutionFields, check_create_institution
from chaupal.models import Account, User

ADMIN = "/api/chaupal/v1/admin"
STAFF_SCOPES = "read write follow admin:read admin:write"


async def make_staff(app: Any, make_user: Any, username: str, role: str = "moderator") -> Any:
    staff = await make_user(username, scopes=STAFF_SCOPES)
    async with app.state.sessions() as s:
        user = await s.scalar(select(User).where(User.id == staff.user_id))
        user.role = role
        await s.commit()
    return staff


async def make_institution(
    app: Any, settings: Any, username: str, display_name: str = "", **fields: Any
) -> int:
    async with app.state.sessions() as s:
        account = await check_create_institution(
            s, settings, username=username, display_name=display_name, fields=InstitutionFields(**fields)
        )
        await s.commit()
        return account.id


async def load_account(app: Any, account_id: int) -> Account:
    async with app.state.sessions() as s:
        account = await s.get(Account, account_id)
        assert account is not None
        return account
