"""Browser sessions: the session cookie (an AccessToken of kind "session"), CSRF tokens,
and the templates every page renders with."""

from __future__ import annotations

import functools
import hmac
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.db import utcnow
from chaupal.models import AccessToken, Account, User
from chaupal.security import digest, new_secret

SESSION_COOKIE = "chaupal_session"
ANON_COOKIE = "chaupal_csrf"  # a pre-session secret so the sign-in form has a CSRF token too
WEB_DIR = Path(__file__).parent


@functools.cache
def templates() -> Jinja2Templates:
    from chaupal.web.filters import install

    tpl = Jinja2Templates(directory=str(WEB_DIR / "templates"))
    install(tpl.env)
    return tpl


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; "
    "media-src 'self' https: http:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass
class WebUser:
    """The signed-in person. After the account switcher, `account` is the institution the
    session acts as (posts, follows ... go out as it) and `own_account` the person's own."""

    token: AccessToken
    user: User
    account: Account
    own_account: Account | None = None
    role: str | None = None  # the staff role while acting as an institution
    switch_options: list[tuple[str, Account]] = field(default_factory=list)  # (role, institution)

    def __post_init__(self) -> None:
        if self.own_account is None:
            self.own_account = self.account

    @property
    def acting(self) -> bool:
        return self.own_account is not None and self.account.id != self.own_account.id


async def current_web_user(request: Request, session: AsyncSession) -> WebUser | None:
    """The signed-in user behind the session cookie, if it is live and the user may sign in.

    One more query lists the institutions the user may act for (the header's switcher); a
    session acting for one is re-checked against that list on every request."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw or len(raw) > 200:
        return None
    token = await session.scalar(
        select(AccessToken).where(AccessToken.token_digest == digest(raw), AccessToken.kind == "session")
    )
    if token is None or token.revoked_at is not None or token.user_id is None:
        return None
    if token.expires_at is not None and token.expires_at <= utcnow():
        return None
    user = await session.get(User, token.user_id)
    if user is None or user.disabled or not user.approved:
        return None
    account = await session.get(Account, user.account_id)
    if account is None or account.suspended_at is not None:
        return None
    from chaupal.actions.audit import Acting, set_acting
    from chaupal.actions.members import ACTING_ROLES, memberships_of

    options = [(r, a) for r, a in await memberships_of(session, user.id) if r in ACTING_ROLES]
    if token.acting_account_id is None:
        return WebUser(token, user, account, switch_options=options)
    match = next(((r, a) for r, a in options if a.id == token.acting_account_id), None)
    if match is None or (match[1].verification == "government" and user.otp_enabled_at is None):
        return None  # membership ended: never fall back to posting as the person
    role, institution = match
    set_acting(session, Acting(institution.id, user.id, account.id, account.username, role))
    return WebUser(token, user, institution, own_account=account, role=role, switch_options=options)


def _csrf_for(request: Request, basis: str) -> str:
    key = request.app.state.secret_key.encode()
    return hmac.new(key, b"csrf:" + basis.encode(), sha256).hexdigest()


def csrf_basis(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(ANON_COOKIE)


def csrf_token(request: Request) -> tuple[str, str | None]:
    """The CSRF token for forms on this page, and a new anonymous cookie value if one is needed."""
    basis = csrf_basis(request)
    new_anon = None
    if not basis:
        basis = new_anon = new_secret(24)
    return _csrf_for(request, basis), new_anon


def csrf_valid(request: Request, submitted: Any) -> bool:
    basis = csrf_basis(request)
    if not basis or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(_csrf_for(request, basis), submitted)


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.https,
    )


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a template with the CSRF token and site settings; sets the anonymous cookie."""
    token, new_anon = csrf_token(request)
    settings = request.app.state.settings
    ctx = {"settings": settings, "csrf_token": token, "title": settings.title, **(context or {})}
    response = templates().TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = CSP
    if new_anon:
        set_cookie(request, response, ANON_COOKIE, new_anon, 3600 * 24)
    return response


def safe_next(value: Any, default: str = "/") -> str:
    """Only same-site relative paths may be redirected to after sign-in."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(c) < 32 for c in value):
        return default
    return value
