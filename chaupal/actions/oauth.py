"""OAuth 2 rules: checking authorisation requests, issuing codes, and the token grants (authorization_code with PKCE, client_credentials, refresh_token) and revocation.

Errors are `OAuthError`s whose message is the RFC 6749 error code (`invalid_grant` ...).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions.apps import OOB
from chaupal.actions.tokens import do_issue_token, do_revoke_code_tokens, do_revoke_token
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError
from chaupal.models import AccessToken, Application, AuthorizationCode, User
from chaupal.security import digest, new_secret, parse_scopes, scopes_within

PKCE_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
GRANT_TYPES = ("authorization_code", "client_credentials", "refresh_token")
__all__ = ["GRANT_TYPES", "OOB", "OAuthError"]


class OAuthError(ApiError):
    """An RFC 6749 error: `{"error": code, "error_description": text}`."""

    def __init__(self, code: str, description: str, status: int = 400, **kw: Any) -> None:
        super().__init__(status, code, description=description, **kw)


async def access_application(session: AsyncSession, client_id: str | None) -> Application | None:
    if not client_id or len(client_id) > 64:
        return None
    return await session.scalar(select(Application).where(Application.client_id == client_id))


# --- authorisation requests -----------------------------------------------------------------


class AuthorizeFatal(Exception):
    """The request cannot be trusted to redirect (unknown client, unregistered redirect URI)."""


@dataclass
class AuthRequest:
    application: Application
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    response_type: str
    acting_account_id: int | None = None  # a staff member authorising as an institution

    def form_fields(self) -> dict[str, str]:
        return {
            "client_id": self.application.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(self.scopes),
            "state": self.state or "",
            "code_challenge": self.code_challenge or "",
            "code_challenge_method": self.code_challenge_method or "",
            "response_type": self.response_type,
        }


@dataclass
class AuthorizeRedirectError(Exception):
    """An error the client learns about through its redirect URI (RFC 6749 section 4.1.2.1)."""

    request: AuthRequest
    error: str
    description: str


async def check_authorization_request(session: AsyncSession, params: dict[str, Any]) -> AuthRequest:
    """Validate `/oauth/authorize` parameters. Raises AuthorizeFatal or AuthorizeRedirectError."""

    def text(key: str) -> str | None:
        value = params.get(key)
        return value.strip() if isinstance(value, str) and value.strip() else None

    app = await access_application(session, text("client_id"))
    if app is None:
        raise AuthorizeFatal("Unknown client_id: this application is not registered here.")
    redirect_uri = text("redirect_uri")
    registered = app.redirect_uri_list
    if redirect_uri is None:
        if len(registered) != 1:
            raise AuthorizeFatal("redirect_uri is required: this application registered several.")
        redirect_uri = registered[0]
    if redirect_uri not in registered:
        raise AuthorizeFatal("redirect_uri does not match any URI registered by this application.")
    req = AuthRequest(
        application=app,
        redirect_uri=redirect_uri,
        scopes=app.scopes.split(),
        state=text("state"),
        code_challenge=text("code_challenge"),
        code_challenge_method=text("code_challenge_method"),
        response_type=text("response_type") or "",
    )
    if req.response_type != "code":
        raise AuthorizeRedirectError(req, "unsupported_response_type", "Only response_type=code is supported.")
    try:
        req.scopes = parse_scopes(text("scope") or app.scopes)
    except ValueError as exc:
        raise AuthorizeRedirectError(req, "invalid_scope", str(exc)) from None
    if not scopes_within(req.scopes, app.scopes.split()):
        raise AuthorizeRedirectError(
            req, "invalid_scope", "The requested scope exceeds the scopes registered by the application."
        )
    if req.code_challenge is None:
        if req.code_challenge_method is not None:
            raise AuthorizeRedirectError(req, "invalid_request", "code_challenge_method without code_challenge.")
    else:
        if req.code_challenge_method != "S256":
            raise AuthorizeRedirectError(
                req, "invalid_request", "Only the S256 code_challenge_method is supported."
            )
        if not re.fullmatch(r"[A-Za-z0-9\-_]{43}", req.code_challenge):
            raise AuthorizeRedirectError(req, "invalid_request", "code_challenge is not a S256 challenge.")
    return req


async def do_create_authorization_code(
    session: AsyncSession, settings: Settings, user: User, req: AuthRequest
) -> str:
    plain = new_secret(32)
    session.add(
        AuthorizationCode(
            code_digest=digest(plain),
            application_id=req.application.id,
            user_id=user.id,
            redirect_uri=req.redirect_uri,
            scopes=" ".join(req.scopes),
            code_challenge=req.code_challenge,
            code_challenge_method=req.code_challenge_method,
            acting_account_id=req.acting_account_id,
            expires_at=utcnow() + timedelta(seconds=settings.auth_code_ttl_seconds),
        )
    )
    await session.flush()
    return plain


# --- client authentication and grants --------------------------------------------------------


@dataclass
class Client:
    application: Application
    authenticated: bool  # proved the client secret (a confidential client)


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    from urllib.parse import unquote

    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise OAuthError("invalid_client", "Malformed HTTP Basic credentials.", 401) from None
    if ":" not in decoded:
        raise OAuthError("invalid_client", "Malformed HTTP Basic credentials.", 401)
    cid, secret = decoded.split(":", 1)
    return unquote(cid), unquote(secret)


async def authenticate_client(
    session: AsyncSession, params: dict[str, Any], authorization: str | None
) -> Client:
    """Client by HTTP Basic or body credentials; a client_id alone is a public client."""
    basic = _basic_credentials(authorization)
    body_id, body_secret = params.get("client_id"), params.get("client_secret")
    if basic and (body_secret or (body_id and body_id != basic[0])):
        raise OAuthError("invalid_request", "Use one client authentication method, not two.")
    client_id, secret = basic if basic else (body_id, body_secret)
    if not isinstance(client_id, str) or not isinstance(secret, (str, type(None))):
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    app = await access_application(session, client_id)
    if app is None:
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    if secret is None or secret == "":
        return Client(app, authenticated=False)
    if not hmac.compare_digest(secret.encode(), app.client_secret.encode()):
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    return Client(app, authenticated=True)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def token_response(
    settings: Settings, token: AccessToken, plain: str, refresh: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_token": plain,
        "token_type": "Bearer",
        "scope": token.scopes,
        "created_at": int(token.created_at.timestamp()),
    }
    if refresh:
        body["refresh_token"] = refresh
    if settings.access_token_ttl_seconds:
        body["expires_in"] = settings.access_token_ttl_seconds
    return body


async def grant_authorization_code(
    session: AsyncSession, settings: Settings, client: Client, params: dict[str, Any]
) -> dict[str, Any]:
    code_value = params.get("code")
    if not isinstance(code_value, str) or not code_value:
        raise OAuthError("invalid_request", "The code parameter is required.")
    code = await session.scalar(
        select(AuthorizationCode).where(AuthorizationCode.code_digest == digest(code_value))
    )
    if code is None or code.application_id != client.application.id:
        raise OAuthError("invalid_grant", "The authorization code is invalid.")
    if code.used_at is not None:
        # A replayed code: refuse it and revoke what it produced (RFC 6749 section 4.1.2).
        await do_revoke_code_tokens(session, code.id)
        raise OAuthError("invalid_grant", "The authorization code has already been used.")
    if code.expires_at <= utcnow():
        raise OAuthError("invalid_grant", "The authorization code has expired.")
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None:
        if client.application.redirect_uri_list != [code.redirect_uri]:
            raise OAuthError("invalid_grant", "redirect_uri is required.")
    elif redirect_uri != code.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request.")
    verifier = params.get("code_verifier")
    if code.code_challenge:
        if not isinstance(verifier, str) or not verifier:
            raise OAuthError("invalid_grant", "code_verifier is required (PKCE).")
        if not PKCE_RE.match(verifier) or not hmac.compare_digest(s256(verifier), code.code_challenge):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge.")
    elif not client.authenticated:
        raise OAuthError(
            "invalid_client", "A client without its secret must use PKCE (code_challenge).", 401
        )
    user = await session.get(User, code.user_id)
    if user is None or user.disabled or not user.approved:
        raise OAuthError("invalid_grant", "The resource owner can no longer sign in.")
    scopes = await _delegated_scopes(session, user, code.acting_account_id, code.scopes)
    # Mark used atomically so two concurrent exchanges cannot both succeed.
    claimed = await session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.id == code.id, AuthorizationCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if not getattr(claimed, "rowcount", 0):
        raise OAuthError("invalid_grant", "The authorization code has already been used.")
    token, plain, refresh = await do_issue_token(
        session,
        user_id=code.user_id,
        application_id=client.application.id,
        scopes=scopes,
        with_refresh=True,
        ttl_seconds=settings.access_token_ttl_seconds,
        authorization_code_id=code.id,
        acting_account_id=code.acting_account_id,
    )
    return token_response(settings, token, plain, refresh)


async def _delegated_scopes(
    session: AsyncSession, user: User, acting_account_id: int | None, scopes: str
) -> str:
    """For a code or refresh token acting as an institution: the scopes the member's role
    allows now (invalid_grant when the membership ended)."""
    if acting_account_id is None:
        return scopes
    from chaupal.actions.delegation import clip_scopes, load_delegation

    delegation = await load_delegation(session, user, acting_account_id)
    allowed = clip_scopes(scopes.split(), delegation.role) if delegation else []
    if not allowed:
        raise OAuthError("invalid_grant", "You can no longer act for this institution.")
    return " ".join(allowed)


def _requested_scopes(params: dict[str, Any], default: str, allowed: list[str]) -> list[str]:
    raw = params.get("scope")
    if raw is not None and not isinstance(raw, str):
        raise OAuthError("invalid_scope", "scope must be a string.")
    try:
        scopes = parse_scopes(raw or default)
    except ValueError as exc:
        raise OAuthError("invalid_scope", str(exc)) from None
    if not scopes_within(scopes, allowed):
        raise OAuthError("invalid_scope", "The requested scope exceeds the granted scope.")
    return scopes


async def grant_client_credentials(
    session: AsyncSession, settings: Settings, client: Client, params: dict[str, Any]
) -> dict[str, Any]:
    if not client.authenticated:
        raise OAuthError("invalid_client", "client_credentials needs the client secret.", 401)
    scopes = _requested_scopes(params, "read", client.application.scopes.split())
    token, plain, _ = await do_issue_token(
        session,
        user_id=None,
        application_id=client.application.id,
        scopes=" ".join(scopes),
        ttl_seconds=settings.access_token_ttl_seconds,
    )
    return token_response(settings, token, plain, None)


async def grant_refresh_token(
    session: AsyncSession, settings: Settings, client: Client, params: dict[str, Any]
) -> dict[str, Any]:
    value = params.get("refresh_token")
    if not isinstance(value, str) or not value:
        raise OAuthError("invalid_request", "The refresh_token parameter is required.")
    old = await session.scalar(select(AccessToken).where(AccessToken.refresh_digest == digest(value)))
    if old is None or old.application_id != client.application.id or old.revoked_at is not None:
        raise OAuthError("invalid_grant", "The refresh token is invalid.")
    if not client.authenticated:
        # A public client may refresh only what it obtained with PKCE.
        code = (
            await session.get(AuthorizationCode, old.authorization_code_id)
            if old.authorization_code_id
            else None
        )
        if code is None or not code.code_challenge:
            raise OAuthError("invalid_client", "Refreshing this token needs the client secret.", 401)
    old_scopes = old.scopes
    if old.user_id is not None:
        user = await session.get(User, old.user_id)
        if user is None or user.disabled or not user.approved:
            raise OAuthError("invalid_grant", "The resource owner can no longer sign in.")
        old_scopes = await _delegated_scopes(session, user, old.acting_account_id, old.scopes)
    scopes = _requested_scopes(params, old_scopes, old_scopes.split())
    await do_revoke_token(session, old)
    token, plain, refresh = await do_issue_token(
        session,
        user_id=old.user_id,
        application_id=old.application_id,
        scopes=" ".join(scopes),
        with_refresh=True,
        ttl_seconds=settings.access_token_ttl_seconds,
        authorization_code_id=old.authorization_code_id,
        acting_account_id=old.acting_account_id,
    )
    return token_response(settings, token, plain, refresh)


async def check_revoke(session: AsyncSession, client: Client, value: str) -> None:
    """RFC 7009: revoke an access or refresh token of this client; unknown tokens are fine."""
    hashed = digest(value)
    token = await session.scalar(
        select(AccessToken).where(
            or_(AccessToken.token_digest == hashed, AccessToken.refresh_digest == hashed)
        )
    )
    if token is None or token.kind != "oauth":
        return
    if token.application_id != client.application.id:
        raise OAuthError("unauthorized_client", "This token was not issued to this client.", 403)
    await do_revoke_token(session, token)
