"""Signing in and out of the web (the session cookie; a TOTP code as step two when the user
enabled it), and changing the password."""

from __future__ import annotations

import hmac
import time
from hashlib import sha256
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from chaupal.actions.accounts import SignInError, check_change_password, check_sign_in
from chaupal.actions.otp import check_code
from chaupal.actions.tokens import do_issue_token, do_revoke_token
from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.api.params import body_params
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError
from chaupal.models import User
from chaupal.web.session import (
    ANON_COOKIE,
    SESSION_COOKIE,
    csrf_valid,
    current_web_user,
    render,
    safe_next,
    set_cookie,
)

router = APIRouter()


def _csrf_failed(request: Request) -> Response:
    return render(
        request,
        "error.html",
        {"heading": "Form expired",
         "message": "The form's security token is missing or wrong; go back, reload and try again."},
        status_code=403,
    )


def _too_many(request: Request, headers: dict[str, str]) -> Response:
    return render(
        request,
        "error.html",
        {"heading": "Too many attempts", "message": "Too many sign-in attempts; wait and try again."},
        status_code=429,
        headers=headers,
    )


async def _sign_in_rate_limited(request: Request, settings: Settings) -> Response | None:
    """Both sign-in steps (password, then two-factor code) count against the per-IP limit."""
    ip = request.client.host if request.client else "unknown"
    verdict = await request.app.state.limiter.hit(
        "sign_in", ip, settings.rate_limit_sign_in, settings.rate_limit_sign_in_window_seconds
    )
    if settings.rate_limit_enabled and not verdict.allowed:
        return _too_many(request, verdict.headers())
    return None


@router.get("/auth/sign_in")
async def sign_in_page(request: Request) -> Response:
    return render(request, "sign_in.html", {"next": safe_next(request.query_params.get("next"))})


@router.post("/auth/sign_in")
async def sign_in(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    refused = await _sign_in_rate_limited(request, settings)
    if refused is not None:
        return refused
    params = await body_params(request)
    next_url = safe_next(params.get("next"))
    if not csrf_valid(request, params.get("csrf_token")):
        return _csrf_failed(request)
    login = params.get("username") if isinstance(params.get("username"), str) else ""
    password = params.get("password") if isinstance(params.get("password"), str) else ""
    try:
        user = await check_sign_in(session, login, password)
    except SignInError as exc:
        return render(
            request,
            "sign_in.html",
            {"next": next_url, "error": str(exc), "username": login},
            status_code=401,
        )
    if user.otp_enabled_at is not None:  # step two: the code from the authenticator app
        return render(
            request, "sign_in_otp.html",
            {"next": next_url, "pending": pending_sign_in(request, settings, user)},
        )
    return await _start_session(request, session, settings, user, next_url)


def _pending_sig(request: Request, user: User, expires: int) -> str:
    key = request.app.state.secret_key.encode()
    message = f"otp-sign-in:{user.id}:{expires}:{user.password_hash}".encode()
    return hmac.new(key, message, sha256).hexdigest()


def pending_sign_in(request: Request, settings: Settings, user: User) -> str:
    """Proof that the password was right, good for `otp_sign_in_ttl_seconds` (a form field)."""
    expires = int(time.time()) + settings.otp_sign_in_ttl_seconds
    return f"{user.id}.{expires}.{_pending_sig(request, user, expires)}"


async def _pending_user(request: Request, session: Any, value: Any) -> User | None:
    parts = value.split(".") if isinstance(value, str) and len(value) < 200 else []
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    expires = int(parts[1])
    user = await session.get(User, int(parts[0])) if len(parts[0]) <= 19 else None
    if user is None or expires <= time.time() or user.otp_enabled_at is None:
        return None
    if not hmac.compare_digest(_pending_sig(request, user, expires), parts[2]):
        return None
    return user


@router.post("/auth/sign_in/otp")
async def sign_in_otp(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    refused = await _sign_in_rate_limited(request, settings)
    if refused is not None:
        return refused
    params = await body_params(request)
    next_url = safe_next(params.get("next"))
    if not csrf_valid(request, params.get("csrf_token")):
        return _csrf_failed(request)
    user = await _pending_user(request, session, params.get("pending"))
    if user is None:
        return render(
            request, "sign_in.html",
            {"next": next_url, "error": "The sign-in took too long; enter your password again."},
            status_code=401,
        )
    try:
        await check_code(session, settings, request.app.state.limiter, user, params.get("code"))
    except ApiError as exc:
        return render(
            request, "sign_in_otp.html",
            {"next": next_url, "pending": params.get("pending"), "error": exc.message},
            status_code=429 if exc.status == 429 else 401,
        )
    return await _start_session(request, session, settings, user, next_url)


async def _start_session(
    request: Request, session: Any, settings: Settings, user: User, next_url: str
) -> Response:
    user.last_sign_in_at = utcnow()
    _, plain, _ = await do_issue_token(
        session,
        user_id=user.id,
        application_id=None,
        scopes="",  # a session cookie is not an API token: it carries no OAuth scope
        kind="session",
        ttl_seconds=settings.session_ttl_seconds,
    )
    response = RedirectResponse(next_url, status_code=303)
    set_cookie(request, response, SESSION_COOKIE, plain, settings.session_ttl_seconds)
    response.delete_cookie(ANON_COOKIE, path="/")
    return response


@router.post("/auth/sign_out")
async def sign_out(request: Request, session: SessionDep) -> Response:
    params = await body_params(request)
    if not csrf_valid(request, params.get("csrf_token")):
        return _csrf_failed(request)
    web_user = await current_web_user(request, session)
    if web_user is not None:
        await do_revoke_token(session, web_user.token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/settings/password")
async def password_page(request: Request, session: SessionDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return RedirectResponse("/auth/sign_in?next=/settings/password", status_code=303)
    return render(request, "password.html", {"web_user": web_user})


@router.post("/settings/password")
async def change_password(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return RedirectResponse("/auth/sign_in?next=/settings/password", status_code=303)
    params = await body_params(request)
    if not csrf_valid(request, params.get("csrf_token")):
        return _csrf_failed(request)
    current = params.get("current_password")
    new = params.get("new_password")
    try:
        await check_change_password(
            session,
            settings,
            web_user.user,
            current if isinstance(current, str) else "",
            new if isinstance(new, str) else "",
        )
    except ApiError as exc:
        return render(
            request,
            "password.html",
            {"web_user": web_user, "error": exc.message.removeprefix("Validation failed: ")},
            status_code=exc.status,
        )
    # Every token, this session's too, is revoked: sign in again with the new password.
    response = RedirectResponse("/auth/sign_in?next=/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
