"""The coverage report: each expected entity matched to an account (by its expected username,
else an institution account with the same name) and judged verified, unverified, inactive or
missing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.models import Account, ExpectedEntity
from chaupal.render import iso

# The state shown is the first problem found, in this order; the flags keep the rest.
STATES = ("missing", "unverified", "inactive", "verified")


async def _match(session: AsyncSession, rows: list[ExpectedEntity]) -> dict[int, tuple[Account, str]]:
    """expected entity id -> (account, "username" | "name"), in two queries."""
    usernames = {r.expected_username.lower() for r in rows if r.expected_username}
    by_username: dict[str, Account] = {}
    if usernames:
        for acc in await session.scalars(
            select(Account).where(Account.domain == "", Account.username_lower.in_(usernames))
        ):
            by_username[acc.username_lower] = acc
    names = {r.name.lower() for r in rows}
    by_name: dict[str, Account] = {}
    if names:
        stmt = (
            select(Account)
            .where(Account.kind == "institution", func.lower(Account.display_name).in_(names))
            .order_by(Account.id)
        )
        for acc in await session.scalars(stmt):
            by_name.setdefault(acc.display_name.lower(), acc)  # the oldest account wins
    out: dict[int, tuple[Account, str]] = {}
    for r in rows:
        acc = by_username.get(r.expected_username.lower()) if r.expected_username else None
        if acc is not None:
            out[r.id] = (acc, "username")
        elif (acc := by_name.get(r.name.lower())) is not None:
            out[r.id] = (acc, "name")
    return out


async def coverage_report(
    session: AsyncSession, settings: Settings, government: str | None = None
) -> dict[str, Any]:
    """Every expected entity (optionally of one government) with its state and a summary."""
    stmt = select(ExpectedEntity).order_by(ExpectedEntity.source, ExpectedEntity.id)
    if government:
        stmt = stmt.where(ExpectedEntity.source == government)
    rows = list(await session.scalars(stmt))
    matched = await _match(session, rows)
    cutoff = utcnow() - timedelta(days=settings.coverage_inactive_days)
    entities = []
    summary = dict.fromkeys(STATES, 0)
    for r in rows:
        account, how = matched.get(r.id, (None, None))
        if account is not None and account.suspended_at is not None:
            account, how = None, None  # a suspended account is no presence
        verified = bool(account is not None and account.verification)
        last = account.last_status_at if account is not None else None
        active = last is not None and last >= cutoff
        if account is None:
            state = "missing"
        elif not verified:
            state = "unverified"
        elif not active:
            state = "inactive"
        else:
            state = "verified"
        summary[state] += 1
        entities.append(
            {
                "key": r.key,
                "name": r.name,
                "category": r.category,
                "parent_key": r.parent_key,
                "jurisdiction": r.jurisdiction,
                "government": r.source,
                "expected_username": r.expected_username,
                "state": state,
                "present": account is not None,
                "verified": verified,
                "active": active,
                "matched_by": how,
                "account_id": str(account.id) if account is not None else None,
                "acct": account.acct if account is not None else None,
                "verification": account.verification if account is not None else None,
                "last_status_at": iso(last),
            }
        )
    return {
        "inactive_after_days": settings.coverage_inactive_days,
        "summary": {"total": len(rows), **summary},
        "entities": entities,
    }
