"""Government fixtures made straight through the models: institution, party and media accounts
(no User behind them), office holdings, statuses and follower counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.db import utcnow
from chaupal.lib.ids import new_id
from chaupal.models import Account, InstitutionProfile, OfficeHolding, Status


async def make_account(
    session: AsyncSession, username: str, *, kind: str = "person", display_name: str = "",
    followers: int = 0, verification: str | None = None, last_status_at: datetime | None = None,
    **fields: Any,
) -> Account:
    account = Account(
        username=username, username_lower=username.lower(), display_name=display_name or username,
        kind=kind, followers_count=followers, verification=verification,
        verified_at=utcnow() if verification else None, last_status_at=last_status_at, **fields,
    )
    session.add(account)
    await session.flush()
    return account


async def make_institution(
    session: AsyncSession, username: str, name: str, *, category: str = "ministry",
    parent: Account | None = None, jurisdiction: str = "India", level: str = "country",
    **fields: Any,
) -> Account:
    account = await make_account(session, username, kind="institution", display_name=name, **fields)
    session.add(
        InstitutionProfile(
            account_id=account.id, category=category, jurisdiction=jurisdiction,
            jurisdiction_level=level, parent_account_id=parent.id if parent else None,
        )
    )
    await session.flush()
    return account


async def make_holding(
    session: AsyncSession, office: Account, holder: Account, *, role: str, title: str = "",
    started_on: date | None = None, ended_on: date | None = None,
) -> OfficeHolding:
    holding = OfficeHolding(
        office_account_id=office.id, holder_account_id=holder.id, role=role, title=title,
        started_on=started_on or utcnow().date() - timedelta(days=100), ended_on=ended_on,
    )
    session.add(holding)
    await session.flush()
    return holding


async def make_status(session: AsyncSession, account: Account, *, days_ago: float = 0) -> Status:
    at = utcnow() - timedelta(days=days_ago)
    status = Status(id=new_id(at), account_id=account.id, text="hello", content="<p>hello</p>",
                    created_at=at)
    session.add(status)
    account.statuses_count += 1
    account.last_status_at = max(account.last_status_at or at, at)
    await session.flush()
    return status
