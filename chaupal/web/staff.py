"""Web pages for institution staff: the account switcher (act as an institution), two-factor
settings, and the owners' staff and audit-log pages (with CSV/JSON downloads)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from chaupal.actions import audit
from chaupal.actions import members as member_actions
from chaupal.actions import otp as otp_actions
from chaupal.actions.delegation import check_may_act
from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.errors import ApiError
from chaupal.models.gov import MEMBER_ROLES
from chaupal.render.audit import entries_csv, load_entries, render_entry
from chaupal.web.session import WebUser, current_web_user, render, safe_next
from chaupal.web.views import (
    csrf_failed,
    form_params,
    local_account,
    more_url,
    not_found_page,
    page_of,
    sign_in_redirect,
    text_param,
)

router = APIRouter()


def _refused(request: Request, web_user: WebUser, exc: ApiError) -> Response:
    return render(
        request, "error.html", {"heading": "Not allowed", "message": exc.message, "web_user": web_user},
        status_code=exc.status,
    )


@router.post("/web/acting")
async def switch_account(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Act as an institution (owner or editor) or as oneself again; a government-verified
    institution needs TOTP enabled and a code."""
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    params, ok = await form_params(request)
    if not ok:
        return csrf_failed(request)
    next_url = safe_next(params.get("next"), "/home")
    assert web_user.own_account is not None
    target = text_param(params, "account_id")
    if target in ("", str(web_user.own_account.id)):
        web_user.token.acting_account_id = None
        return RedirectResponse(next_url, status_code=303)
    try:
        institution = await member_actions.access_institution(session, target)
    except ApiError as exc:
        return _refused(request, web_user, exc)
    needs_code = institution.verification == "government" and web_user.user.otp_enabled_at is not None
    ctx = {"web_user": web_user, "institution": institution, "next": next_url}
    if needs_code and not text_param(params, "otp"):
        return render(request, "switch_otp.html", ctx)
    try:
        role = await check_may_act(
            session, settings, request.app.state.limiter, web_user.user, institution, params.get("otp")
        )
    except ApiError as exc:
        if needs_code and "two-factor" in exc.message.lower():
            return render(request, "switch_otp.html", {**ctx, "error": exc.message}, status_code=exc.status)
        return _refused(request, web_user, exc)
    web_user.token.acting_account_id = institution.id
    audit.record_by(
        session, institution.id, user_id=web_user.user.id, staff_account_id=web_user.own_account.id,
        staff_username=web_user.own_account.username, action="session.act", object_type="account",
        object_id=institution.id, role=role,
    )
    return RedirectResponse(next_url, status_code=303)


# --- two-factor settings --------------------------------------------------------------------


async def _otp_page(
    request: Request, session: Any, settings: Any, web_user: WebUser, *, notice: str | None = None,
    error: str | None = None, status_code: int = 200,
) -> Response:
    user = web_user.user
    pending = user.otp_enabled_at is None and bool(user.otp_secret)
    assert web_user.own_account is not None
    return render(
        request, "settings_otp.html",
        {
            "web_user": web_user,
            "enabled": user.otp_enabled_at is not None,
            "secret": user.otp_secret if pending else None,
            "uri": otp_actions.provisioning_uri(settings, user, web_user.own_account) if pending else None,
            "notice": notice,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/settings/otp")
async def otp_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    return await _otp_page(request, session, settings, web_user)


@router.post("/settings/otp/{step}")
async def otp_step(step: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    if step not in ("setup", "enable", "disable"):
        return not_found_page(request, web_user)
    params, ok = await form_params(request)
    if not ok:
        return csrf_failed(request)
    limiter = request.app.state.limiter
    try:
        if step == "setup":
            await otp_actions.do_begin_enrolment(session, web_user.user)
            return await _otp_page(request, session, settings, web_user)
        if step == "enable":
            await otp_actions.check_enable(session, settings, limiter, web_user.user, params.get("code"))
            notice = "Two-factor authentication is on."
        else:
            await otp_actions.check_disable(session, settings, limiter, web_user.user, params.get("code"))
            notice = "Two-factor authentication is off."
    except ApiError as exc:
        return await _otp_page(
            request, session, settings, web_user,
            error=exc.message.removeprefix("Validation failed: "), status_code=exc.status,
        )
    return await _otp_page(request, session, settings, web_user, notice=notice)


# --- owners' pages: staff and audit log -----------------------------------------------------


async def _owned(request: Request, session: Any, username: str) -> tuple[WebUser | None, Any, Response | None]:
    """(web user, institution, None) when the signed-in person owns @username; else a response."""
    web_user = await current_web_user(request, session)
    if web_user is None:
        return None, None, sign_in_redirect(request)
    account = await local_account(session, username)
    if account is None:
        return web_user, None, not_found_page(request, web_user)
    try:
        institution = await member_actions.access_as_owner(session, web_user.user, account.id, admin_ok=False)
    except ApiError as exc:
        return web_user, None, _refused(request, web_user, exc)
    return web_user, institution, None


async def _members_page(
    request: Request, session: Any, settings: Any, web_user: WebUser, institution: Any, *,
    error: str | None = None, notice: str | None = None, status_code: int = 200,
) -> Response:
    rows = await member_actions.members_of(session, institution.id)
    return render(
        request, "institution_members.html",
        {
            "web_user": web_user, "institution": institution, "roles": MEMBER_ROLES,
            "members": [{"account": a, "role": m.role} for m, a in rows],
            "error": error, "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/institutions/{username}/members")
async def members_page(username: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user, institution, refusal = await _owned(request, session, username)
    if refusal is not None:
        return refusal
    assert web_user is not None
    return await _members_page(request, session, settings, web_user, institution)


@router.post("/institutions/{username}/members")
async def add_member(username: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user, institution, refusal = await _owned(request, session, username)
    if refusal is not None:
        return refusal
    assert web_user is not None
    params, ok = await form_params(request)
    if not ok:
        return csrf_failed(request)
    try:
        await member_actions.check_add_member(
            session, institution, web_user.user, role=params.get("role"), username=params.get("username")
        )
    except ApiError as exc:
        return await _members_page(
            request, session, settings, web_user, institution,
            error=exc.message.removeprefix("Validation failed: "), status_code=exc.status,
        )
    return RedirectResponse(f"/institutions/{institution.username}/members", status_code=303)


@router.post("/institutions/{username}/members/{member_id}")
async def change_member(
    username: str, member_id: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    web_user, institution, refusal = await _owned(request, session, username)
    if refusal is not None:
        return refusal
    assert web_user is not None
    params, ok = await form_params(request)
    if not ok:
        return csrf_failed(request)
    try:
        if params.get("action") == "remove":
            await member_actions.check_remove_member(session, institution, web_user.user, member_id)
        else:
            await member_actions.check_change_role(
                session, institution, web_user.user, member_id, params.get("role")
            )
    except ApiError as exc:
        return await _members_page(
            request, session, settings, web_user, institution,
            error=exc.message.removeprefix("Validation failed: "), status_code=exc.status,
        )
    if str(web_user.own_account.id if web_user.own_account else "") == member_id and params.get("action") == "remove":
        return RedirectResponse("/home", status_code=303)
    return RedirectResponse(f"/institutions/{institution.username}/members", status_code=303)


@router.get("/institutions/{username}/audit")
async def audit_page(username: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user, institution, refusal = await _owned(request, session, username)
    if refusal is not None:
        return refusal
    page = page_of(request, settings.page_audit_default, settings.page_audit_max)
    entries = await load_entries(session, institution.id, page, page.limit)
    return render(
        request, "institution_audit.html",
        {
            "web_user": web_user, "institution": institution,
            "entries": [render_entry(e) for e in entries],
            "more_url": more_url(request, entries[-1].id) if len(entries) >= page.limit else None,
        },
    )


@router.get("/institutions/{username}/audit.{fmt}")
async def audit_download(
    username: str, fmt: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    web_user, institution, refusal = await _owned(request, session, username)
    if refusal is not None:
        return refusal
    if fmt not in ("csv", "json"):
        return not_found_page(request, web_user)
    entries = await load_entries(session, institution.id, None, settings.audit_export_max_rows)
    headers = {
        "Content-Disposition": f'attachment; filename="audit-{institution.username}.{fmt}"',
        "Cache-Control": "no-store",
    }
    if fmt == "csv":
        return Response(entries_csv(entries), media_type="text/csv; charset=utf-8", headers=headers)
    body = json.dumps([render_entry(e) for e in entries], ensure_ascii=False)
    return Response(body, media_type="application/json", headers=headers)
