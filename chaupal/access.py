"""Who may see what: the one visibility rule, as a SQL clause for lists and as
`access_*` loaders (load + permission check, 404 when hidden) for single objects.

A status is visible to a viewer when its author is not suspended, has not blocked the
viewer, and: it is public or unlisted; or the viewer wrote it; or it is private and the
viewer follows the author; or the viewer is mentioned in it (private or direct).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.db import UTCDateTime, utcnow
from chaupal.errors import not_found
from chaupal.models import Account, Block, Follow, Mention, Mute, Status
from chaupal.models.federation import AccountDomainBlock


def now_param() -> Any:
    """The current time as a bound parameter evaluated per execution, so statements that
    use it stay cacheable (a literal `utcnow()` would be baked into each built query)."""
    return bindparam("now", type_=UTCDateTime(), callable_=utcnow, unique=True)


def visible_clause(viewer_id: int | None, status: Any = Status) -> Any:
    """SQL condition on `status` (the Status table or an alias) for the viewer."""
    author_ok = ~exists().where(
        Account.id == status.account_id, Account.suspended_at.is_not(None)
    )
    # Comparisons, not IN tuples: an IN list is an "expanding" parameter that makes every
    # execution re-render the statement's SQL, and these clauses sit in the longest queries.
    open_ = or_(status.visibility == "public", status.visibility == "unlisted")
    if viewer_id is None:
        return and_(open_, author_ok)
    not_blocked = ~exists().where(
        Block.account_id == status.account_id, Block.target_account_id == viewer_id
    )
    follows_author = exists().where(
        Follow.account_id == viewer_id, Follow.target_account_id == status.account_id
    )
    mentioned = exists().where(Mention.status_id == status.id, Mention.account_id == viewer_id)
    return and_(
        author_ok,
        or_(
            status.account_id == viewer_id,
            and_(
                not_blocked,
                or_(
                    open_,
                    and_(status.visibility == "private", follows_author),
                    and_(or_(status.visibility == "private", status.visibility == "direct"), mentioned),
                ),
            ),
        ),
    )


def not_filtered_clause(viewer_id: int | None, status: Any = Status) -> Any:
    """For timelines and lists: hide authors the viewer blocked or muted, and remote authors
    of domains the viewer blocked (an uncorrelated subquery: evaluated once, empty for most)."""
    if viewer_id is None:
        return true()
    return and_(
        ~exists().where(Block.account_id == viewer_id, Block.target_account_id == status.account_id),
        status.account_id.not_in(
            select(Account.id)
            .join(AccountDomainBlock, AccountDomainBlock.domain == Account.domain)
            .where(AccountDomainBlock.account_id == viewer_id)
        ),
        ~exists().where(
            Mute.account_id == viewer_id,
            Mute.target_account_id == status.account_id,
            or_(Mute.expires_at.is_(None), Mute.expires_at > now_param()),
        ),
    )


async def access_status(session: AsyncSession, viewer_id: int | None, status_id: int | str) -> Status:
    """Load a status the viewer may see, or raise 404 (hidden and missing look the same)."""
    try:
        sid = int(status_id)
    except (TypeError, ValueError):
        raise not_found() from None
    if sid < 0 or sid >= 2**63:
        raise not_found()
    status = await session.scalar(select(Status).where(Status.id == sid, visible_clause(viewer_id)))
    if status is None:
        raise not_found()
    return status


async def access_account(session: AsyncSession, account_id: int | str) -> Account:
    """Load a visible (not suspended) account or raise 404."""
    try:
        aid = int(account_id)
    except (TypeError, ValueError):
        raise not_found() from None
    if aid < 0 or aid >= 2**63:
        raise not_found()
    account = await session.get(Account, aid)
    if account is None or account.suspended_at is not None:
        raise not_found()
    return account


__all__ = ["access_account", "access_status", "not_filtered_clause", "visible_clause"]
