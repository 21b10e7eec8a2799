"""Government details of accounts: an institution's place in the hierarchy (one recursive
query) and the offices a person holds or an office's holder (one query), for single-account
endpoints and the profile page; office-holding history for the public offices endpoint."""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from chaupal.config import Settings
from chaupal.models import Account, InstitutionProfile, OfficeHolding
from chaupal.render.accounts import add_moved, render_account


def compact(account: Account) -> dict[str, Any]:
    return {"id": str(account.id), "acct": account.acct, "display_name": account.display_name}


async def institution_path(
    session: AsyncSession, settings: Settings, account_id: int
) -> list[tuple[Account, InstitutionProfile]]:
    """The account's institution chain from the top of the hierarchy down to itself."""
    start = (
        select(
            InstitutionProfile.account_id,
            InstitutionProfile.parent_account_id,
            literal(0).label("depth"),
        )
        .where(InstitutionProfile.account_id == account_id)
        .cte("chain", recursive=True)
    )
    parent = aliased(InstitutionProfile)
    chain = start.union_all(
        select(parent.account_id, parent.parent_account_id, start.c.depth + 1).where(
            parent.account_id == start.c.parent_account_id,
            start.c.depth < settings.institution_max_depth,
        )
    )
    rows = (
        await session.execute(
            select(Account, InstitutionProfile)
            .join(chain, chain.c.account_id == Account.id)
            .join(InstitutionProfile, InstitutionProfile.account_id == Account.id)
            .order_by(chain.c.depth.desc())
        )
    ).all()
    return [(a, p) for a, p in rows]


async def current_offices(
    session: AsyncSession, account_id: int
) -> list[tuple[OfficeHolding, Account, Account]]:
    """Current holdings where the account is the office or the holder, with both accounts."""
    office, holder = aliased(Account), aliased(Account)
    rows = (
        await session.execute(
            select(OfficeHolding, office, holder)
            .join(office, office.id == OfficeHolding.office_account_id)
            .join(holder, holder.id == OfficeHolding.holder_account_id)
            .where(
                or_(
                    OfficeHolding.office_account_id == account_id,
                    OfficeHolding.holder_account_id == account_id,
                ),
                OfficeHolding.ended_on.is_(None),
                office.suspended_at.is_(None),
                holder.suspended_at.is_(None),
            )
            .order_by(OfficeHolding.started_on, OfficeHolding.id)
        )
    ).all()
    return [(h, o, p) for h, o, p in rows]


async def account_details(session: AsyncSession, settings: Settings, account: Account) -> dict[str, Any]:
    """`institution` and `offices` for the `chaupal` object of a single Account entity."""
    institution = None
    if account.kind == "institution":
        path = await institution_path(session, settings, account.id)
        if path and path[-1][0].id == account.id:
            profile = path[-1][1]
            institution = {
                "category": profile.category,
                "jurisdiction_level": profile.jurisdiction_level,
                "jurisdiction": profile.jurisdiction,
                "path": [compact(a) for a, _ in path],
            }
    holds, held_by = [], []
    for holding, office, holder in await current_offices(session, account.id):
        entry = {"title": holding.title, "role": holding.role, "since": holding.started_on.isoformat()}
        if holding.holder_account_id == account.id:
            holds.append({**entry, "office": compact(office)})
        if holding.office_account_id == account.id:
            held_by.append({**entry, "holder": compact(holder)})
    return {"institution": institution, "offices": {"holds": holds, "held_by": held_by}}


async def render_account_detailed(
    session: AsyncSession, settings: Settings, account: Account
) -> dict[str, Any]:
    data = render_account(settings, account)
    data["chaupal"].update(await account_details(session, settings, account))
    await add_moved(session, settings, data, account)
    return data


def render_holding(
    settings: Settings, holding: OfficeHolding, office: Account, holder: Account
) -> dict[str, Any]:
    return {
        "id": str(holding.id),
        "office": render_account(settings, office),
        "holder": render_account(settings, holder),
        "title": holding.title,
        "role": holding.role,
        "started_on": holding.started_on.isoformat(),
        "ended_on": holding.ended_on.isoformat() if holding.ended_on else None,
        "current": holding.ended_on is None,
    }


async def office_history(
    session: AsyncSession, settings: Settings, account_id: int, limit: int
) -> dict[str, list[dict[str, Any]]]:
    """Every tenure (current and past) in both directions, newest first, `limit` per side."""
    office, holder = aliased(Account), aliased(Account)
    base = (
        select(OfficeHolding, office, holder)
        .join(office, office.id == OfficeHolding.office_account_id)
        .join(holder, holder.id == OfficeHolding.holder_account_id)
        .where(office.suspended_at.is_(None), holder.suspended_at.is_(None))
        .order_by(OfficeHolding.started_on.desc(), OfficeHolding.id.desc())
        .limit(limit)
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for key, column in (
        ("holds", OfficeHolding.holder_account_id),
        ("held_by", OfficeHolding.office_account_id),
    ):
        rows = (await session.execute(base.where(column == account_id))).all()
        out[key] = [render_holding(settings, h, o, p) for h, o, p in rows]
    return out
