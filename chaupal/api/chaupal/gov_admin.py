"""Moderators' government API under /api/chaupal/v1/admin/: institution accounts, account kinds,
office holdings, verification grants/revocations with their history, and impersonation flags.
Every route needs a moderator or admin acting as themselves with an `admin:*` scope."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from chaupal.actions.gov_accounts import (
    InstitutionFields,
    check_create_institution,
    check_end_office_holding,
    check_grant_verification,
    check_revoke_verification,
    check_set_kind,
    check_update_institution,
)
from chaupal.actions.gov_accounts import check_add_office_holding as add_holding
from chaupal.actions.impersonation import check_resolve_flag
from chaupal.api.deps import Auth, SessionDep, SettingsDep, require_user
from chaupal.api.mastodon.admin import STAFF
from chaupal.api.paging import apply_page, finish, page_from, set_link
from chaupal.api.params import parse
from chaupal.errors import ApiError, not_found
from chaupal.models import Account, ModerationFlag, OfficeHolding, VerificationEvent
from chaupal.render import iso
from chaupal.render.accounts import render_account
from chaupal.render.gov import render_account_detailed, render_holding

router = APIRouter()
PREFIX = "/api/chaupal/v1/admin"


def staff(scope: str) -> Any:
    """A moderator or admin token with `scope`, used by the staff member as themselves (a token
    delegated to act for an institution may not moderate)."""

    async def dep(auth: Auth = Depends(require_user(scope))) -> Auth:  # noqa: B008
        assert auth.user is not None and auth.account is not None
        if auth.user.role not in STAFF or auth.user.account_id != auth.account.id:
            raise ApiError(403, "This action is not allowed")
        return auth

    return Depends(dep)


StaffRead = Annotated[Auth, staff("admin:read")]
StaffWrite = Annotated[Auth, staff("admin:write")]


def _id(raw: str | None) -> int:
    if raw is None or not str(raw).isdigit() or len(str(raw)) > 19:
        raise not_found()
    return int(raw)


async def _account(session: AsyncSession, raw: str | None) -> Account:
    account = await session.get(Account, _id(raw))
    if account is None or account.domain != "":
        raise not_found()
    return account


class InstitutionParams(BaseModel):
    username: str = ""
    display_name: str | None = None
    category: str | None = None
    parent_id: str | None = None
    jurisdiction_level: str | None = None
    jurisdiction: str | None = None


async def _fields(session: AsyncSession, params: InstitutionParams) -> InstitutionFields:
    parent_id = None
    if params.parent_id:
        parent_id = (await _account(session, params.parent_id)).id
    return InstitutionFields(
        category=params.category,
        parent_account_id=parent_id,
        clear_parent=params.parent_id == "",
        jurisdiction_level=params.jurisdiction_level,
        jurisdiction=params.jurisdiction,
        display_name=params.display_name,
    )


@router.post(f"{PREFIX}/institutions")
async def create_institution(
    request: Request, auth: StaffWrite, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    params = await parse(request, InstitutionParams)
    fields = await _fields(session, params)
    account = await check_create_institution(
        session, settings, username=params.username, display_name=params.display_name or "", fields=fields
    )
    return await render_account_detailed(session, settings, account)


@router.patch(f"{PREFIX}/institutions/{{account_id}}")
async def update_institution(
    account_id: str, request: Request, auth: StaffWrite, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    account = await _account(session, account_id)
    params = await parse(request, InstitutionParams)
    await check_update_institution(session, settings, account, await _fields(session, params))
    return await render_account_detailed(session, settings, account)


class KindParams(BaseModel):
    kind: str = ""


@router.post(f"{PREFIX}/accounts/{{account_id}}/kind")
async def set_kind(
    account_id: str, request: Request, auth: StaffWrite, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    account = await _account(session, account_id)
    params = await parse(request, KindParams)
    await check_set_kind(session, account, params.kind)
    return await render_account_detailed(session, settings, account)


class HoldingParams(BaseModel):
    office_id: str = ""
    holder_id: str = ""
    title: str = ""
    role: str = "official"
    started_on: date | None = None


@router.post(f"{PREFIX}/offices")
async def add_office_holding(
    request: Request, auth: StaffWrite, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    params = await parse(request, HoldingParams)
    office = await _account(session, params.office_id)
    holder = await _account(session, params.holder_id)
    holding = await add_holding(
        session, settings, office, holder, title=params.title, role=params.role,
        started_on=params.started_on or date.today(),
    )
    return render_holding(settings, holding, office, holder)


class EndParams(BaseModel):
    ended_on: date | None = None


@router.post(f"{PREFIX}/offices/{{holding_id}}/end")
async def end_office_holding(
    holding_id: str, request: Request, auth: StaffWrite, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    holding = await session.get(OfficeHolding, _id(holding_id))
    if holding is None:
        raise not_found()
    params = await parse(request, EndParams)
    await check_end_office_holding(session, holding, params.ended_on)
    office = await session.get(Account, holding.office_account_id)
    holder = await session.get(Account, holding.holder_account_id)
    assert office is not None and holder is not None
    return render_holding(settings, holding, office, holder)


class VerificationParams(BaseModel):
    type: str = ""
    evidence: str = ""


def render_event(event: VerificationEvent, moderator: Account | None) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "account_id": str(event.account_id),
        "action": event.action,
        "type": event.verification,
        "evidence": event.evidence,
        "moderator": {"id": str(moderator.id), "acct": moderator.acct} if moderator else None,
        "created_at": iso(event.created_at),
    }


@router.post(f"{PREFIX}/accounts/{{account_id}}/verification")
async def grant_verification(
    account_id: str, request: Request, auth: StaffWrite, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    account = await _account(session, account_id)
    params = await parse(request, VerificationParams)
    await check_grant_verification(session, settings, account, params.type, params.evidence, auth.account)
    return await render_account_detailed(session, settings, account)


@router.delete(f"{PREFIX}/accounts/{{account_id}}/verification")
async def revoke_verification(
    account_id: str, request: Request, auth: StaffWrite, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    account = await _account(session, account_id)
    params = await parse(request, VerificationParams)
    await check_revoke_verification(session, settings, account, params.evidence, auth.account)
    return await render_account_detailed(session, settings, account)


@router.get(f"{PREFIX}/accounts/{{account_id}}/verification")
async def verification_history(
    account_id: str, request: Request, response: Response, auth: StaffRead, session: SessionDep,
    settings: SettingsDep,
) -> list[dict[str, Any]]:
    """Grants and revocations of the account, newest first (paged by event id)."""
    account = await _account(session, account_id)
    page = page_from(request, settings.page_accounts_default, settings.page_accounts_max)
    stmt = (
        select(VerificationEvent.id, VerificationEvent, Account)
        .outerjoin(Account, Account.id == VerificationEvent.moderator_account_id)
        .where(VerificationEvent.account_id == account.id)
    )
    rows = finish((await session.execute(apply_page(stmt, VerificationEvent.id, page))).all(), page)
    set_link(request, response, [row_id for row_id, _, _ in rows])
    return [render_event(e, m) for _, e, m in rows]


class FlagParams(BaseModel):
    resolved: bool = False


def render_flag(settings: Any, flag: ModerationFlag, account: Account, related: Account | None) -> dict[str, Any]:
    return {
        "id": str(flag.id),
        "kind": flag.kind,
        "account": render_account(settings, account),
        "related_account": render_account(settings, related) if related else None,
        "detail": flag.detail,
        "created_at": iso(flag.created_at),
        "resolved_at": iso(flag.resolved_at),
        "resolved_by_account_id": str(flag.resolved_by_account_id) if flag.resolved_by_account_id else None,
    }



@router.get(f"{PREFIX}/flags")
async def list_flags(
    request: Request, response: Response, auth: StaffRead, session: SessionDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    """Open flags (or `resolved=true` for resolved ones), newest first."""
    params = await parse(request, FlagParams)
    page = page_from(request, settings.page_accounts_default, settings.page_accounts_max)
    related = aliased(Account)
    stmt = (
        select(ModerationFlag.id, ModerationFlag, Account, related)
        .join(Account, Account.id == ModerationFlag.account_id)
        .outerjoin(related, related.id == ModerationFlag.related_account_id)
        .where(
            ModerationFlag.resolved_at.is_not(None) if params.resolved else ModerationFlag.resolved_at.is_(None)
        )
    )
    rows = finish((await session.execute(apply_page(stmt, ModerationFlag.id, page))).all(), page)
    set_link(request, response, [row_id for row_id, *_ in rows])
    return [render_flag(settings, f, a, r) for _, f, a, r in rows]


@router.post(f"{PREFIX}/flags/{{flag_id}}/resolve")
async def resolve_flag(
    flag_id: str, auth: StaffWrite, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    flag = await session.get(ModerationFlag, _id(flag_id))
    if flag is None:
        raise not_found()
    await check_resolve_flag(session, flag, auth.account)
    account = await session.get(Account, flag.account_id)
    related = await session.get(Account, flag.related_account_id) if flag.related_account_id else None
    assert account is not None
    return render_flag(settings, flag, account, related)
