"""The sign-up form (check_create_account, as the API's registration) and profile settings
(display name and bio, through check_update_profile)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from chaupal.actions.accounts import check_create_account
from chaupal.actions.profile import ProfileUpdate, check_text, check_update_profile
from chaupal.actions.tokens import do_issue_token
from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.errors import ApiError
from chaupal.web.i18n import t
from chaupal.web.session import ANON_COOKIE, SESSION_COOKIE, current_web_user, render, set_cookie
from chaupal.web.views import csrf_failed, form_params, sign_in_redirect, text_param

router = APIRouter()


def _closed(request: Request) -> Response:
    return render(
        request, "error.html", {"heading": t("signup.closed_heading"), "message": t("signup.closed")},
        status_code=403,
    )


@router.get("/auth/sign_up")
async def sign_up_page(request: Request, settings: SettingsDep) -> Response:
    if settings.registrations == "closed":
        return _closed(request)
    return render(request, "sign_up.html", {"form": {}})


@router.post("/auth/sign_up")
async def sign_up(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    if settings.registrations == "closed":
        return _closed(request)
    ip = request.client.host if request.client else "unknown"
    verdict = await request.app.state.limiter.hit(
        "sign_up", ip, settings.rate_limit_sign_up, settings.rate_limit_sign_up_window_seconds
    )
    if settings.rate_limit_enabled and not verdict.allowed:
        return render(
            request, "error.html",
            {"heading": t("signup.too_many_heading"), "message": t("signup.too_many")},
            status_code=429, headers=verdict.headers(),
        )
    params, ok = await form_params(request)
    if not ok:
        return csrf_failed(request)
    form = {k: text_param(params, k).strip() for k in ("username", "email", "reason")}
    password = text_param(params, "password")
    approval = settings.registrations == "approval"
    try:
        if params.get("agreement") not in ("1", "on", "true"):
            raise ApiError(422, t("signup.agreement_required"))
        reason = form["reason"] or None
        if reason is not None:
            check_text("reason", reason, settings.max_sign_up_reason_chars)
        _, user = await check_create_account(
            session, settings, username=form["username"], email=form["email"], password=password,
            approved=not approval, reason=reason if approval else None,
        )
    except ApiError as exc:
        message = exc.message.removeprefix("Validation failed: ")
        return render(request, "sign_up.html", {"form": form, "error": message}, status_code=exc.status)
    if approval:
        return render(request, "error.html", {"heading": t("signup.pending_heading"), "message": t("signup.pending")})
    _, plain, _ = await do_issue_token(
        session, user_id=user.id, application_id=None, scopes="", kind="session",
        ttl_seconds=settings.session_ttl_seconds,
    )
    response = RedirectResponse("/home", status_code=303)
    set_cookie(request, response, SESSION_COOKIE, plain, settings.session_ttl_seconds)
    response.delete_cookie(ANON_COOKIE, path="/")
    return response


@router.get("/settings/profile")
async def profile_settings_page(request: Request, session: SessionDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    account = web_user.account
    return render(
        request, "settings_profile.html",
        {"web_user": web_user, "form": {"display_name": account.display_name, "note": account.note}},
    )


@router.post("/settings/profile")
async def profile_settings(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    params, ok = await form_params(request)
    if not ok:
        return csrf_failed(request)
    form = {"display_name": text_param(params, "display_name"), "note": text_param(params, "note")}
    try:
        await check_update_profile(
            session, settings, web_user.account, web_user.user,
            ProfileUpdate(display_name=form["display_name"], note=form["note"]),
        )
    except ApiError as exc:
        return render(
            request, "settings_profile.html",
            {"web_user": web_user, "form": form, "error": exc.message.removeprefix("Validation failed: ")},
            status_code=exc.status,
        )
    return RedirectResponse("/settings/profile?saved=1", status_code=303)
