"""Chaupal API: institution staff — members and roles, delegated tokens (acting as the
institution), the audit trail with CSV/JSON export, and the caller's own memberships."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from chaupal.actions import members as member_actions
from chaupal.actions.delegation import check_issue_delegated_token
from chaupal.actions.oauth import token_response
from chaupal.api.deps import Auth, SessionDep, SettingsDep, require_user
from chaupal.api.paging import page_from, set_link
from chaupal.api.params import all_params
from chaupal.errors import ApiError
from chaupal.models import Account, InstitutionMember
from chaupal.render import iso
from chaupal.render.accounts import render_account
from chaupal.render.audit import entries_csv, load_entries, render_entry

router = APIRouter(tags=["institution staff"])
BASE = "/api/chaupal/v1/institutions/{account_id}"


def own_token(scope: str) -> Any:
    """A user's own token with `scope`; a delegated token (acting as an institution) is refused."""

    async def dep(auth: Auth = Depends(require_user(scope))) -> Auth:  # noqa: B008
        if auth.acting:
            raise ApiError(403, "Use your own access token here, not one that acts for an institution")
        return auth

    return Depends(dep)


OwnRead = Annotated[Auth, own_token("read:accounts")]
OwnWrite = Annotated[Auth, own_token("write:accounts")]
OwnAny = Annotated[Auth, own_token("profile")]


def render_member(settings: Any, member: InstitutionMember, account: Account) -> dict[str, Any]:
    return {
        "account": render_account(settings, account),
        "role": member.role,
        "created_at": iso(member.created_at),
    }


@router.get("/api/chaupal/v1/memberships")
async def my_memberships(auth: OwnRead, session: SessionDep, settings: SettingsDep) -> list[dict[str, Any]]:
    assert auth.user is not None
    rows = await member_actions.memberships_of(session, auth.user.id)
    return [{"institution": render_account(settings, account), "role": role} for role, account in rows]


@router.get(f"{BASE}/members")
async def list_members(
    account_id: str, auth: OwnRead, session: SessionDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    assert auth.user is not None
    institution = await member_actions.access_as_owner(session, auth.user, account_id)
    rows = await member_actions.members_of(session, institution.id)
    return [render_member(settings, m, a) for m, a in rows]


@router.post(f"{BASE}/members")
async def add_member(
    account_id: str, request: Request, auth: OwnWrite, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    assert auth.user is not None
    institution = await member_actions.access_as_owner(session, auth.user, account_id)
    params = await all_params(request)
    member, account = await member_actions.check_add_member(
        session, institution, auth.user, role=params.get("role"),
        username=params.get("username"), account_id=params.get("account_id"),
    )
    return render_member(settings, member, account)


@router.patch(f"{BASE}/members/{{member_id}}")
async def change_member_role(
    account_id: str, member_id: str, request: Request, auth: OwnWrite, session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    assert auth.user is not None
    institution = await member_actions.access_as_owner(session, auth.user, account_id)
    params = await all_params(request)
    member, account = await member_actions.check_change_role(
        session, institution, auth.user, member_id, params.get("role")
    )
    return render_member(settings, member, account)


@router.delete(f"{BASE}/members/{{member_id}}")
async def remove_member(
    account_id: str, member_id: str, auth: OwnWrite, session: SessionDep
) -> dict[str, Any]:
    assert auth.user is not None
    institution = await member_actions.access_as_owner(session, auth.user, account_id)
    await member_actions.check_remove_member(session, institution, auth.user, member_id)
    return {}


@router.post(f"{BASE}/token")
async def delegated_token(
    account_id: str, request: Request, auth: OwnAny, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """A Token entity that acts as the institution (the member's role limits its scopes)."""
    assert auth.user is not None
    params = await all_params(request)
    token, plain, institution, role = await check_issue_delegated_token(
        session, settings, request.app.state.limiter,
        user=auth.user, caller_scopes=auth.scopes, institution_id=account_id,
        client_id=params.get("client_id"), scopes=params.get("scopes", params.get("scope")),
        otp=params.get("otp"),
    )
    body = token_response(settings, token, plain, None)
    body["chaupal"] = {"acting_account_id": str(institution.id), "role": role}
    return body


@router.get(f"{BASE}/audit")
async def audit_log(
    account_id: str, request: Request, auth: OwnRead, session: SessionDep, settings: SettingsDep
) -> Response:
    """Owners only. Paged JSON with Link headers; `format=csv` or `format=json` exports the
    newest `audit_export_max_rows` entries as a download."""
    assert auth.user is not None
    institution = await member_actions.access_as_owner(session, auth.user, account_id, admin_ok=False)
    fmt = request.query_params.get("format", "")
    if fmt in ("csv", "json"):
        entries = await load_entries(session, institution.id, None, settings.audit_export_max_rows)
        name = f"audit-{institution.username}.{fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
        if fmt == "csv":
            return Response(entries_csv(entries), media_type="text/csv; charset=utf-8", headers=headers)
        body = json.dumps([render_entry(e) for e in entries], ensure_ascii=False)
        return Response(body, media_type="application/json", headers=headers)
    if fmt:
        raise ApiError(422, "Validation failed: format must be csv or json")
    page = page_from(request, settings.page_audit_default, settings.page_audit_max)
    entries = await load_entries(session, institution.id, page, page.limit)
    response = JSONResponse([render_entry(e) for e in entries])
    set_link(request, response, [e.id for e in entries])
    return response
