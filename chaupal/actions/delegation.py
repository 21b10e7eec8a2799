"""Acting as an institution: which scopes each staff role may hold, loading a delegation
(membership + institution + the staff member's own account in one query), the TOTP rule for
government-verified institutions, and issuing a delegated token."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from chaupal.actions import audit
from chaupal.actions.members import ACTING_ROLES, access_institution, member_role
from chaupal.actions.otp import check_code
from chaupal.actions.tokens import do_issue_token
from chaupal.config import Settings
from chaupal.errors import ApiError
from chaupal.models import AccessToken, Account, Application, InstitutionMember, User
from chaupal.security import FOLLOW_GRANTS, GRANULAR, parse_scopes, scopes_within

EDITOR_WRITES = frozenset(
    {
        "write:statuses",
        "write:media",
        "write:favourites",
        "write:bookmarks",
        "write:follows",
        "write:notifications",
    }
)
TOTP_REQUIRED = (
    "Two-factor authentication (TOTP) must be enabled to act for a government-verified account; "
    "enable it under Settings → Two-factor authentication (/settings/otp)"
)


def role_allows(role: str | None, scope: str) -> bool:
    """May a delegated token of a staff member with `role` carry `scope`?"""
    if role == "owner":
        return not scope.startswith("admin")
    if role == "editor":
        return scope in ("read", "profile") or scope.startswith("read:") or scope in EDITOR_WRITES
    return False


def _expand(scope: str) -> list[str]:
    if scope in GRANULAR:
        return [f"{scope}:{name}" for name in GRANULAR[scope]]
    if scope == "follow":
        return sorted(FOLLOW_GRANTS)
    return []


def clip_scopes(scopes: Iterable[str], role: str | None) -> list[str]:
    """The part of `scopes` the role allows; a broad scope (`write`, `follow`) the role may not
    hold whole is narrowed to the granular scopes it may hold."""
    out: list[str] = []
    for scope in scopes:
        out.extend([scope] if role_allows(role, scope) else [s for s in _expand(scope) if role_allows(role, s)])
    return list(dict.fromkeys(out))


@dataclass
class Delegation:
    role: str
    institution: Account
    staff_account: Account


async def load_delegation(session: AsyncSession, user: User, institution_id: int) -> Delegation | None:
    """The user's live right to act as `institution_id`, or None: not a member, an analyst, a
    suspended account on either side, or a government account while the user has no TOTP."""
    institution, staff = aliased(Account), aliased(Account)
    row = (
        await session.execute(
            select(InstitutionMember.role, institution, staff)
            .join(institution, institution.id == InstitutionMember.institution_account_id)
            .join(staff, staff.id == user.account_id)
            .where(
                InstitutionMember.institution_account_id == institution_id,
                InstitutionMember.user_id == user.id,
            )
        )
    ).first()
    if row is None:
        return None
    role, inst, own = row
    if role not in ACTING_ROLES or inst.suspended_at is not None or own.suspended_at is not None:
        return None
    if inst.verification == "government" and user.otp_enabled_at is None:
        return None
    return Delegation(role, inst, own)


def acting_context(user: User, delegation: Delegation) -> audit.Acting:
    return audit.Acting(
        institution_id=delegation.institution.id,
        user_id=user.id,
        staff_account_id=delegation.staff_account.id,
        staff_username=delegation.staff_account.username,
        role=delegation.role,
    )


async def check_may_act(
    session: AsyncSession,
    settings: Settings,
    limiter: Any,
    user: User,
    institution: Account,
    otp: Any,
) -> str:
    """The user's role if they may start acting as `institution` now (403 otherwise); a
    government-verified institution needs TOTP enabled and a fresh code."""
    role = await member_role(session, institution.id, user.id)
    if role is None:
        raise ApiError(403, "You are not a member of this institution's staff")
    if role not in ACTING_ROLES:
        raise ApiError(403, "Analysts cannot act as the institution (no delegated token)")
    if institution.verification == "government":
        if user.otp_enabled_at is None:
            raise ApiError(403, TOTP_REQUIRED)
        await check_code(session, settings, limiter, user, otp)
    return role


async def check_issue_delegated_token(
    session: AsyncSession,
    settings: Settings,
    limiter: Any,
    *,
    user: User,
    caller_scopes: frozenset[str],
    institution_id: Any,
    client_id: Any,
    scopes: Any,
    otp: Any,
) -> tuple[AccessToken, str, Account, str]:
    """A token for `client_id` that acts as the institution, with the scopes the caller asked
    for, narrowed to what the member's role allows. Returns (token, plain, institution, role)."""
    institution = await access_institution(session, institution_id)
    app = None
    if isinstance(client_id, str) and 0 < len(client_id) <= 64:
        app = await session.scalar(select(Application).where(Application.client_id == client_id))
    if app is None:
        raise ApiError(422, "Validation failed: client_id is not a registered application")
    if scopes is not None and not isinstance(scopes, str):
        raise ApiError(422, "Validation failed: scopes must be a space-separated string")
    try:
        requested = parse_scopes(scopes or "read")
    except ValueError as exc:
        raise ApiError(422, f"Validation failed: {exc}") from None
    if not scopes_within(requested, app.scopes.split()):
        raise ApiError(422, "Validation failed: the scopes exceed those the application registered")
    if not scopes_within(requested, list(caller_scopes)):
        raise ApiError(403, "Your access token cannot grant scopes it does not hold")
    role = await check_may_act(session, settings, limiter, user, institution, otp)
    granted = clip_scopes(requested, role)
    if not granted:
        raise ApiError(403, f"An {role} cannot be given any of the requested scopes")
    token, plain, _ = await do_issue_token(
        session,
        user_id=user.id,
        application_id=app.id,
        scopes=" ".join(granted),
        ttl_seconds=settings.access_token_ttl_seconds,
        acting_account_id=institution.id,
    )
    staff = await session.get(Account, user.account_id)
    assert staff is not None
    audit.record_by(
        session, institution.id, user_id=user.id, staff_account_id=staff.id,
        staff_username=staff.username, action="token.create", object_type="application",
        object_id=app.id, application=app.name, scopes=token.scopes,
    )
    await session.flush()
    return token, plain, institution, role
