"""Public government reads under /api/chaupal/v1/: an account's office holdings (both
directions, with history) and an institution's profile with its parent, path and children."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select

from chaupal.access import access_account
from chaupal.api.deps import MaybeReadAccounts, SessionDep, SettingsDep
from chaupal.errors import not_found
from chaupal.models import Account, InstitutionProfile
from chaupal.render.accounts import render_account
from chaupal.render.gov import account_details, compact, institution_path, office_history

router = APIRouter()


@router.get("/api/chaupal/v1/accounts/{account_id}/offices")
async def account_offices(
    account_id: str, session: SessionDep, settings: SettingsDep, auth: MaybeReadAccounts
) -> dict[str, Any]:
    """`holds`: offices this person held or holds; `held_by`: who held or holds this office.
    Newest tenure first, at most `page_accounts_max` per side."""
    account = await access_account(session, account_id)
    return await office_history(session, settings, account.id, settings.page_accounts_max)


@router.get("/api/chaupal/v1/institutions/{account_id}")
async def institution(
    account_id: str, session: SessionDep, settings: SettingsDep, auth: MaybeReadAccounts
) -> dict[str, Any]:
    """The institution's profile, its path from the top of the hierarchy, its current office
    holders and its children (at most `page_accounts_max`, by name; `children_count` has all)."""
    account = await access_account(session, account_id)
    if account.kind != "institution":
        raise not_found()
    path = await institution_path(session, settings, account.id)
    if not path or path[-1][0].id != account.id:
        raise not_found()
    profile = path[-1][1]
    children_where = (
        InstitutionProfile.parent_account_id == account.id,
        Account.suspended_at.is_(None),
    )
    children = (
        await session.scalars(
            select(Account)
            .join(InstitutionProfile, InstitutionProfile.account_id == Account.id)
            .where(*children_where)
            .order_by(func.lower(Account.display_name), Account.username_lower)
            .limit(settings.page_accounts_max)
        )
    ).all()
    count = await session.scalar(
        select(func.count())
        .select_from(InstitutionProfile)
        .join(Account, Account.id == InstitutionProfile.account_id)
        .where(*children_where)
    )
    parent = path[-2][0] if len(path) > 1 else None
    details = await account_details(session, settings, account)
    return {
        "account": render_account(settings, account),
        "category": profile.category,
        "jurisdiction_level": profile.jurisdiction_level,
        "jurisdiction": profile.jurisdiction,
        "require_approval": profile.require_approval,
        "parent": render_account(settings, parent) if parent is not None else None,
        "path": [compact(a) for a, _ in path],
        "offices": details["offices"],
        "children": [render_account(settings, c) for c in children],
        "children_count": int(count or 0),
    }
