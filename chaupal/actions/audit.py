"""The institution audit trail: who on the staff did what as an institution.

The request layer puts the acting context (`Acting`) on the DB session when a delegated token
or a web session acts for an institution; actions call `record(...)`, which adds an AuditEntry
in the same transaction only when the change was made as that institution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.errors import ApiError
from chaupal.models import AuditEntry

ACTING_KEY = "chaupal.acting"
EXCERPT_CHARS = 200  # status text kept in an entry, so a deleted post stays legible in the log


@dataclass(frozen=True)
class Acting:
    """A staff member acting as an institution for the length of one request."""

    institution_id: int
    user_id: int
    staff_account_id: int
    staff_username: str
    role: str


def set_acting(session: AsyncSession, acting: Acting | None) -> None:
    if acting is None:
        session.info.pop(ACTING_KEY, None)
    else:
        session.info[ACTING_KEY] = acting


def acting_for(session: AsyncSession, account_id: int | None) -> Acting | None:
    """The acting context if this session acts as `account_id`, else None."""
    acting = session.info.get(ACTING_KEY)
    if isinstance(acting, Acting) and account_id is not None and acting.institution_id == account_id:
        return acting
    return None


def excerpt(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def record(
    session: AsyncSession,
    account_id: int,
    action: str,
    object_type: str = "",
    object_id: int | None = None,
    **detail: Any,
) -> None:
    """Log `action` if it was done as `account_id` by a staff member; a no-op otherwise."""
    acting = acting_for(session, account_id)
    if acting is None:
        return
    session.add(
        AuditEntry(
            institution_account_id=account_id,
            staff_user_id=acting.user_id,
            staff_account_id=acting.staff_account_id,
            staff_username=acting.staff_username,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail=detail,
        )
    )


def record_by(
    session: AsyncSession,
    institution_id: int,
    *,
    user_id: int | None,
    staff_account_id: int | None,
    staff_username: str,
    action: str,
    object_type: str = "",
    object_id: int | None = None,
    **detail: Any,
) -> None:
    """Log an action on an institution by a named person (member changes, token issue)."""
    session.add(
        AuditEntry(
            institution_account_id=institution_id,
            staff_user_id=user_id,
            staff_account_id=staff_account_id,
            staff_username=staff_username,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail=detail,
        )
    )


def require_owner(session: AsyncSession, account_id: int, what: str = "change this") -> None:
    """Refuse (403) when an editor acts as `account_id`: only owners change its profile/settings."""
    acting = acting_for(session, account_id)
    if acting is not None and acting.role != "owner":
        raise ApiError(403, f"Only owners of this institution may {what}")
