"""The public directory of government presence: institution accounts with their place in the
hierarchy, jurisdiction, verification, followers, recent activity and current office holder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.lib.ids import id_floor
from chaupal.models import Account, InstitutionProfile, OfficeHolding, Status
from chaupal.render import iso
from chaupal.render.accounts import render_account


@dataclass
class DirectoryQuery:
    jurisdiction: str | None = None
    category: str | None = None
    q: str | None = None


def _filtered(query: DirectoryQuery) -> Any:
    stmt = (
        select(Account, InstitutionProfile)
        .join(InstitutionProfile, InstitutionProfile.account_id == Account.id)
        .where(Account.suspended_at.is_(None))
    )
    if query.jurisdiction:
        stmt = stmt.where(func.lower(InstitutionProfile.jurisdiction) == query.jurisdiction.lower())
    if query.category:
        stmt = stmt.where(InstitutionProfile.category == query.category)
    if query.q:
        like = "%" + query.q.lower().replace("\\", "").replace("%", "").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                func.lower(Account.display_name).like(like, escape="\\"),
                Account.username_lower.like(like, escape="\\"),
            )
        )
    return stmt.order_by(func.lower(Account.display_name), Account.id)


async def current_holders(
    session: AsyncSession, office_ids: list[int], today: date | None = None
) -> dict[int, tuple[OfficeHolding, Account]]:
    """office account id -> (its current holding, the holder's account); latest start wins."""
    if not office_ids:
        return {}
    today = today or utcnow().date()
    stmt = (
        select(OfficeHolding, Account)
        .join(Account, Account.id == OfficeHolding.holder_account_id)
        .where(
            OfficeHolding.office_account_id.in_(office_ids),
            OfficeHolding.started_on <= today,
            or_(OfficeHolding.ended_on.is_(None), OfficeHolding.ended_on >= today),
            Account.suspended_at.is_(None),
        )
        .order_by(OfficeHolding.started_on, OfficeHolding.id)
    )
    out: dict[int, tuple[OfficeHolding, Account]] = {}
    for holding, holder in (await session.execute(stmt)).all():
        out[holding.office_account_id] = (holding, holder)
    return out


async def recent_status_counts(session: AsyncSession, account_ids: list[int], days: int) -> dict[int, int]:
    """Public and unlisted statuses per account in the last `days` days (one grouped query)."""
    if not account_ids:
        return {}
    floor = id_floor(utcnow() - timedelta(days=days))
    stmt = (
        select(Status.account_id, func.count())
        .where(
            Status.account_id.in_(account_ids),
            Status.id >= floor,
            Status.visibility.in_(("public", "unlisted")),
        )
        .group_by(Status.account_id)
    )
    return {acc: n for acc, n in (await session.execute(stmt)).all()}


async def _entries(
    session: AsyncSession, settings: Settings, rows: list[tuple[Account, InstitutionProfile]]
) -> list[dict[str, Any]]:
    ids = [a.id for a, _ in rows]
    holders = await current_holders(session, ids)
    counts = await recent_status_counts(session, ids, settings.directory_activity_days)
    out = []
    for account, profile in rows:
        held = holders.get(account.id)
        out.append(
            {
                "id": str(account.id),
                "account": render_account(settings, account),
                "kind": account.kind,
                "category": profile.category,
                "parent_id": str(profile.parent_account_id) if profile.parent_account_id else None,
                "jurisdiction_level": profile.jurisdiction_level,
                "jurisdiction": profile.jurisdiction,
                "verification": account.verification,
                "followers_count": account.followers_count,
                "recent_statuses_count": counts.get(account.id, 0),
                "last_status_at": iso(account.last_status_at),
                "office_holder": None
                if held is None
                else {
                    "account": render_account(settings, held[1]),
                    "title": held[0].title,
                    "role": held[0].role,
                    "started_on": held[0].started_on.isoformat(),
                },
            }
        )
    return out


def build_tree(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nest entries under their parents; an entry whose parent is not listed becomes a root."""
    by_id = {e["id"]: {**e, "children": []} for e in entries}
    roots = []
    for node in by_id.values():
        parent = by_id.get(node["parent_id"]) if node["parent_id"] else None
        if parent is not None and parent is not node and not _is_ancestor(by_id, node, parent):
            parent["children"].append(node)
        else:
            roots.append(node)
    return roots


def _is_ancestor(by_id: dict[str, Any], node: dict[str, Any], candidate: dict[str, Any]) -> bool:
    """True when `node` is already above `candidate` (a cycle in bad data): break it there."""
    seen = set()
    cur = candidate
    while cur is not None and cur["id"] not in seen:
        if cur["id"] == node["id"]:
            return True
        seen.add(cur["id"])
        cur = by_id.get(cur["parent_id"]) if cur["parent_id"] else None
    return False


async def directory_page(
    session: AsyncSession, settings: Settings, query: DirectoryQuery, *, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the flat list, and the total number of matching entries."""
    base = _filtered(query)
    total = await session.scalar(select(func.count()).select_from(base.order_by(None).subquery()))
    rows = [(a, p) for a, p in (await session.execute(base.offset(offset).limit(limit))).all()]
    return await _entries(session, settings, rows), int(total or 0)


async def directory_tree(
    session: AsyncSession, settings: Settings, query: DirectoryQuery
) -> tuple[list[dict[str, Any]], bool]:
    """The hierarchy of matching entries (at most `directory_tree_max`), and whether it was cut."""
    cap = settings.directory_tree_max
    rows = [(a, p) for a, p in (await session.execute(_filtered(query).limit(cap + 1))).all()]
    truncated = len(rows) > cap
    return build_tree(await _entries(session, settings, rows[:cap])), truncated


async def jurisdictions(session: AsyncSession) -> list[str]:
    """Every jurisdiction named by an institution profile (for the filter menu)."""
    stmt = select(InstitutionProfile.jurisdiction).distinct().order_by(InstitutionProfile.jurisdiction)
    return [j for j in await session.scalars(stmt) if j]
