"""OAuth 2: authorize (HTML sign-in and consent), token, revoke, and RFC 8414 metadata."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from chaupal.actions.delegation import check_may_act, clip_scopes
from chaupal.actions.members import access_institution
from chaupal.actions.oauth import (
    GRANT_TYPES,
    OOB,
    AuthorizeFatal,
    AuthorizeRedirectError,
    AuthRequest,
    OAuthError,
    authenticate_client,
    check_authorization_request,
    check_revoke,
    do_create_authorization_code,
    grant_authorization_code,
    grant_client_credentials,
    grant_refresh_token,
)
from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.api.params import body_params, query_params
from chaupal.errors import ApiError, error_body
from chaupal.security import ALL_SCOPES, TOP_SCOPES
from chaupal.web.session import csrf_valid, current_web_user, render

router = APIRouter()

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _redirect(uri: str, params: dict[str, str | None]) -> RedirectResponse:
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    parts = urlsplit(uri)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return RedirectResponse(urlunsplit(parts._replace(query=query)), status_code=302)


def _redirect_error(request: Request, err: AuthorizeRedirectError) -> Response:
    if err.request.redirect_uri == OOB:
        return render(request, "error.html", {"heading": "Authorization failed",
                                              "message": f"{err.error}: {err.description}"},
                      status_code=400)
    return _redirect(
        err.request.redirect_uri,
        {"error": err.error, "error_description": err.description, "state": err.request.state},
    )


async def _validated(request: Request, session: Any, params: dict[str, Any]) -> AuthRequest | Response:
    try:
        return await check_authorization_request(session, params)
    except AuthorizeFatal as exc:
        return render(request, "error.html", {"heading": "Authorization failed", "message": str(exc)},
                      status_code=400)
    except AuthorizeRedirectError as exc:
        return _redirect_error(request, exc)


@router.get("/oauth/authorize")
async def authorize_page(request: Request, session: SessionDep) -> Response:
    req = await _validated(request, session, query_params(request))
    if isinstance(req, Response):
        return req
    web_user = await current_web_user(request, session)
    force_login = request.query_params.get("force_login", "").lower() in ("true", "1")
    if web_user is None or force_login:
        # Come back to the same request after signing in (without force_login: no loop).
        query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "force_login"])
        next_url = request.url.path + ("?" + query if query else "")
        return render(request, "sign_in.html", {"next": next_url, "application": req.application})
    return render(request, "authorize.html", _consent_context(web_user, req))


def _consent_context(web_user: Any, req: AuthRequest, error: str | None = None) -> dict[str, Any]:
    """The consent page: the app, its scopes, and "authorize as" yourself or an institution
    you are owner/editor of (the institution's role narrows the scopes)."""
    return {
        "application": req.application,
        "account": web_user.own_account,
        "scopes": req.scopes,
        "fields": req.form_fields(),
        "acting_options": [
            {"account": a, "role": r, "scopes": clip_scopes(req.scopes, r),
             "government": a.verification == "government"}
            for r, a in web_user.switch_options
        ],
        "error": error,
    }


@router.post("/oauth/authorize")
async def authorize_decision(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    params = await body_params(request)
    web_user = await current_web_user(request, session)
    if web_user is None:
        return render(request, "sign_in.html", {"next": "/", "error": "Sign in first."},
                      status_code=401)
    if not csrf_valid(request, params.get("csrf_token")):
        return render(request, "error.html", {"heading": "Form expired",
                                              "message": "The form's security token is missing or wrong; "
                                              "go back, reload and try again."}, status_code=403)
    req = await _validated(request, session, params)
    if isinstance(req, Response):
        return req
    decision = params.get("decision")
    if decision == "deny":
        return _redirect_error(
            request, AuthorizeRedirectError(req, "access_denied", "The user denied the request.")
        )
    if decision != "approve":
        return render(request, "error.html", {"message": "Choose to approve or deny."},
                      status_code=400)
    acting = params.get("acting_account_id")
    if isinstance(acting, str) and acting and acting != str(web_user.own_account.id):
        try:
            institution = await access_institution(session, acting)
            role = await check_may_act(
                session, settings, request.app.state.limiter, web_user.user, institution, params.get("otp")
            )
        except ApiError as exc:
            return render(request, "authorize.html", _consent_context(web_user, req, exc.message),
                          status_code=exc.status)
        req.scopes = clip_scopes(req.scopes, role)
        if not req.scopes:
            return render(request, "authorize.html",
                          _consent_context(web_user, req, f"An {role} cannot grant any of these scopes."),
                          status_code=403)
        req.acting_account_id = institution.id
    code = await do_create_authorization_code(session, settings, web_user.user, req)
    if req.redirect_uri == OOB:
        return render(request, "authorize_code.html", {"code": code, "application": req.application})
    return _redirect(req.redirect_uri, {"code": code, "state": req.state})


def _oauth_error(exc: ApiError) -> JSONResponse:
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="chaupal"'
    headers.update(exc.headers or {})
    return JSONResponse(error_body(exc.message, exc.description), status_code=exc.status,
                        headers=headers)


@router.post("/oauth/token")
async def token(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    try:
        try:
            params = await body_params(request)
        except ApiError as exc:
            raise OAuthError("invalid_request", exc.message) from None
        grant_type = params.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is required.")
        if grant_type not in GRANT_TYPES:
            message = (
                "The password grant is not supported; use the authorization code flow."
                if grant_type == "password"
                else "This grant type is not supported."
            )
            raise OAuthError("unsupported_grant_type", message)
        client = await authenticate_client(session, params, request.headers.get("authorization"))
        if grant_type == "authorization_code":
            body = await grant_authorization_code(session, settings, client, params)
        elif grant_type == "client_credentials":
            body = await grant_client_credentials(session, settings, client, params)
        else:
            body = await grant_refresh_token(session, settings, client, params)
    except OAuthError as exc:
        # Returned, not raised: a replayed code's token revocation must still be committed.
        return _oauth_error(exc)
    return JSONResponse(body, headers=NO_STORE)


@router.post("/oauth/revoke")
async def revoke(request: Request, session: SessionDep) -> Response:
    try:
        try:
            params = await body_params(request)
        except ApiError as exc:
            raise OAuthError("invalid_request", exc.message) from None
        value = params.get("token")
        if not isinstance(value, str) or not value:
            raise OAuthError("invalid_request", "The token parameter is required.")
        client = await authenticate_client(session, params, request.headers.get("authorization"))
        await check_revoke(session, client, value)
    except OAuthError as exc:
        return _oauth_error(exc)
    return JSONResponse({}, headers=NO_STORE)


@router.get("/.well-known/oauth-authorization-server")
async def metadata(settings: SettingsDep) -> dict[str, Any]:
    base = settings.base_url
    return {
        "issuer": f"{base}/",
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "app_registration_endpoint": f"{base}/api/v1/apps",
        "scopes_supported": list(TOP_SCOPES) + sorted(ALL_SCOPES - set(TOP_SCOPES)),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
    }
