"""Institution staff: adding members (owner, editor, analyst), changing roles and removing them.

Removing a member, or making them an analyst, revokes their delegated tokens and ends their web
sessions acting for the institution in the same transaction. The last owner cannot leave.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions import audit
from chaupal.db import utcnow
from chaupal.errors import ApiError, not_found, unprocessable
from chaupal.models import AccessToken, Account, InstitutionMember, User
from chaupal.models.gov import MEMBER_ROLES

ACTING_ROLES = ("owner", "editor")  # analysts read insights; they never act as the institution
STAFFED_KINDS = ("institution", "party", "media")


def _id(value: Any) -> int | None:
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return int(text) if text.isdigit() and len(text) <= 19 else None


async def access_institution(session: AsyncSession, account_id: Any) -> Account:
    """A local, not suspended account that staff can run (an institution, party or outlet)."""
    key = _id(account_id)
    account = await session.get(Account, key) if key is not None else None
    if account is None or not account.local or account.suspended_at is not None:
        raise not_found("Institution")
    if account.kind not in STAFFED_KINDS:
        raise ApiError(422, "This account is not an institution; it has no staff")
    return account


async def member_role(session: AsyncSession, institution_id: int, user_id: int) -> str | None:
    return await session.scalar(
        select(InstitutionMember.role).where(
            InstitutionMember.institution_account_id == institution_id,
            InstitutionMember.user_id == user_id,
        )
    )


async def access_as_owner(
    session: AsyncSession, user: User, account_id: Any, *, admin_ok: bool = True
) -> Account:
    """The institution, if `user` owns it (or, with `admin_ok`, is a site admin); else 403."""
    institution = await access_institution(session, account_id)
    role = await member_role(session, institution.id, user.id)
    if role == "owner" or (admin_ok and user.role == "admin"):
        return institution
    raise ApiError(403, "Only owners of this institution may do this")


async def memberships_of(session: AsyncSession, user_id: int) -> list[tuple[str, Account]]:
    """(role, institution) for every institution the user is staff of, by username."""
    rows = await session.execute(
        select(InstitutionMember.role, Account)
        .join(Account, Account.id == InstitutionMember.institution_account_id)
        .where(InstitutionMember.user_id == user_id, Account.suspended_at.is_(None))
        .order_by(Account.username_lower)
    )
    return [(role, account) for role, account in rows.all()]


async def members_of(
    session: AsyncSession, institution_id: int
) -> list[tuple[InstitutionMember, Account]]:
    rows = await session.execute(
        select(InstitutionMember, Account)
        .join(User, User.id == InstitutionMember.user_id)
        .join(Account, Account.id == User.account_id)
        .where(InstitutionMember.institution_account_id == institution_id)
        .order_by(InstitutionMember.id)
    )
    return [(m, a) for m, a in rows.all()]


async def _staff_user(session: AsyncSession, *, username: Any = None, account_id: Any = None) -> tuple[User, Account]:
    stmt = select(User, Account).join(Account, Account.id == User.account_id)
    if account_id not in (None, ""):
        key = _id(account_id)
        if key is None:
            raise not_found("User")
        stmt = stmt.where(Account.id == key)
    elif isinstance(username, str) and username.strip():
        name = username.strip().lstrip("@").split("@", 1)[0].lower()
        stmt = stmt.where(Account.username_lower == name, Account.domain == "")
    else:
        raise unprocessable("username (or account_id) of a local user is required")
    row = (await session.execute(stmt)).first()
    if row is None:
        raise not_found("User")
    return row[0], row[1]


def _check_role(role: Any) -> str:
    if role not in MEMBER_ROLES:
        raise unprocessable(f"role must be one of {', '.join(MEMBER_ROLES)}")
    return str(role)


async def _owner_count(session: AsyncSession, institution_id: int) -> int:
    # Lock the institution's member rows (PostgreSQL) so two owners cannot remove each other at once.
    await session.execute(
        select(InstitutionMember.id)
        .where(InstitutionMember.institution_account_id == institution_id)
        .with_for_update()
    )
    return int(
        await session.scalar(
            select(func.count()).where(
                InstitutionMember.institution_account_id == institution_id,
                InstitutionMember.role == "owner",
            )
        )
        or 0
    )


async def _log(
    session: AsyncSession, institution: Account, actor: User | None, action: str, member: Account,
    **detail: Any,
) -> None:
    """Member changes are always logged, naming who made them (None: the command line)."""
    actor_account = await session.get(Account, actor.account_id) if actor is not None else None
    audit.record_by(
        session, institution.id, user_id=actor.id if actor else None,
        staff_account_id=actor_account.id if actor_account else None,
        staff_username=actor_account.username if actor_account else "(command line)",
        action=action, object_type="account", object_id=member.id, member=member.username, **detail,
    )


async def check_add_member(
    session: AsyncSession,
    institution: Account,
    actor: User | None,
    *,
    role: Any,
    username: Any = None,
    account_id: Any = None,
) -> tuple[InstitutionMember, Account]:
    role = _check_role(role)
    user, account = await _staff_user(session, username=username, account_id=account_id)
    if user.disabled or account.suspended_at is not None:
        raise unprocessable("this user cannot sign in, so cannot be staff")
    if account.id == institution.id:
        raise unprocessable("an institution cannot be its own member")
    if await member_role(session, institution.id, user.id) is not None:
        raise unprocessable(f"@{account.username} is already a member; change their role instead")
    member = InstitutionMember(
        institution_account_id=institution.id, user_id=user.id, role=role,
        added_by_user_id=actor.id if actor else None,
    )
    session.add(member)
    await session.flush()
    await _log(session, institution, actor, "member.add", account, role=role)
    await session.flush()
    return member, account


async def _membership(
    session: AsyncSession, institution: Account, member_account_id: Any
) -> tuple[InstitutionMember, Account]:
    key = _id(member_account_id)
    row = None
    if key is not None:
        row = (
            await session.execute(
                select(InstitutionMember, Account)
                .join(User, User.id == InstitutionMember.user_id)
                .join(Account, Account.id == User.account_id)
                .where(InstitutionMember.institution_account_id == institution.id, Account.id == key)
            )
        ).first()
    if row is None:
        raise not_found("Member")
    return row[0], row[1]


async def check_change_role(
    session: AsyncSession, institution: Account, actor: User, member_account_id: Any, role: Any
) -> tuple[InstitutionMember, Account]:
    role = _check_role(role)
    member, account = await _membership(session, institution, member_account_id)
    if member.role == role:
        return member, account
    if member.role == "owner" and await _owner_count(session, institution.id) <= 1:
        raise unprocessable("the last owner cannot be downgraded; make someone else owner first")
    old = member.role
    member.role = role
    if role not in ACTING_ROLES:
        await do_end_delegation(session, institution.id, member.user_id)
    await _log(session, institution, actor, "member.role", account, old_role=old, role=role)
    await session.flush()
    return member, account


async def check_remove_member(
    session: AsyncSession, institution: Account, actor: User, member_account_id: Any
) -> Account:
    member, account = await _membership(session, institution, member_account_id)
    if member.role == "owner" and await _owner_count(session, institution.id) <= 1:
        raise unprocessable("the last owner cannot be removed; make someone else owner first")
    await session.delete(member)
    await do_end_delegation(session, institution.id, member.user_id)
    await _log(session, institution, actor, "member.remove", account, role=member.role)
    await session.flush()
    return account


async def do_end_delegation(session: AsyncSession, institution_id: int, user_id: int) -> int:
    """Revoke the user's delegated tokens and acting web sessions for one institution, now.

    Acting web sessions are revoked too (signed out) rather than turned back into the user's
    own account, so a post being written as the institution is never published as the person.
    """
    result = await session.execute(
        update(AccessToken)
        .where(
            AccessToken.user_id == user_id,
            AccessToken.acting_account_id == institution_id,
            AccessToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
