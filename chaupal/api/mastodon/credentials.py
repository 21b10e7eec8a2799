"""Mastodon API: registering an account, and reading and editing one's own profile."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import func, select

from chaupal.actions.accounts import check_create_account
from chaupal.actions.oauth import token_response
from chaupal.actions.profile import ProfileUpdate, check_fields, check_text, check_update_profile
from chaupal.actions.tokens import do_issue_token
from chaupal.api.deps import AppAuth, Profile, SessionDep, SettingsDep, WriteAccounts
from chaupal.api.params import all_params, validate
from chaupal.errors import ApiError, unprocessable
from chaupal.models import Account, FollowRequest, User
from chaupal.render.accounts import render_credential_account
from chaupal.render.gov import account_details

router = APIRouter()
LOCALE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


class Registration(BaseModel):
    username: str = ""
    email: str = ""
    password: str = ""
    agreement: bool = False
    locale: str = "en"
    reason: str | None = None


@router.post("/api/v1/accounts")
async def register(
    request: Request, auth: AppAuth, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    if settings.rate_limit_enabled:
        ip = request.client.host if request.client else "unknown"
        await request.app.state.limiter.enforce(
            "sign_up", ip, settings.rate_limit_sign_up, settings.rate_limit_sign_up_window_seconds
        )
    if not auth.allows("write:accounts"):
        raise ApiError(403, "This action is outside the authorized scopes")
    if settings.registrations == "closed":
        raise ApiError(403, "Registrations are closed on this server")
    params = validate(Registration, await all_params(request))
    if not params.agreement:
        raise unprocessable(
            "agreement must be accepted",
            details={"agreement": [{"error": "ERR_ACCEPTED", "description": "must be accepted"}]},
        )
    if not LOCALE_RE.match(params.locale):
        raise unprocessable(
            "locale is not a language code",
            details={"locale": [{"error": "ERR_INCLUSION", "description": "is not a language code"}]},
        )
    reason = (params.reason or "").strip() or None
    if reason is not None:
        check_text("reason", reason, settings.max_sign_up_reason_chars)
    _, user = await check_create_account(
        session,
        settings,
        username=params.username,
        email=params.email,
        password=params.password,
        approved=settings.registrations == "open",
        reason=reason,
        locale=params.locale,
    )
    token, plain, refresh = await do_issue_token(
        session,
        user_id=user.id,
        application_id=auth.application.id if auth.application else None,
        scopes=auth.token.scopes,
        with_refresh=auth.application is not None,
        ttl_seconds=settings.access_token_ttl_seconds,
    )
    return token_response(settings, token, plain, refresh)


async def _credential_account(session: Any, settings: Any, account: Account, user: User) -> dict[str, Any]:
    pending = await session.scalar(
        select(func.count()).select_from(FollowRequest).where(FollowRequest.target_account_id == account.id)
    )
    data = render_credential_account(settings, account, user, int(pending or 0))
    data["chaupal"].update(await account_details(session, settings, account))
    return data


@router.get("/api/v1/accounts/verify_credentials")
async def verify_credentials(auth: Profile, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    assert auth.account is not None and auth.user is not None
    return await _credential_account(session, settings, auth.account, auth.user)


class Source(BaseModel):
    privacy: str | None = None
    sensitive: bool | None = None
    language: str | None = None


class CredentialsUpdate(BaseModel):
    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    indexable: bool | None = None
    hide_collections: bool | None = None
    fields_attributes: dict[str, Any] | list[Any] | None = None
    source: Source | None = None


@router.patch("/api/v1/accounts/update_credentials")
async def update_credentials(
    request: Request, auth: WriteAccounts, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    assert auth.account is not None and auth.user is not None
    raw = await all_params(request)
    for upload in ("avatar", "header"):
        if raw.get(upload) not in (None, ""):
            raise unprocessable(f"{upload} uploads are not supported yet")
    params = validate(CredentialsUpdate, raw)
    # An institution has no user of its own: its staff's posting defaults are not its to change.
    source = Source() if auth.acting else (params.source or Source())
    update = ProfileUpdate(
        display_name=params.display_name,
        note=params.note,
        locked=params.locked,
        bot=params.bot,
        discoverable=params.discoverable,
        indexable=params.indexable,
        hide_collections=params.hide_collections,
        fields=check_fields(settings, params.fields_attributes)
        if params.fields_attributes is not None
        else None,
        privacy=source.privacy,
        sensitive=source.sensitive,
        language=source.language,
    )
    await check_update_profile(session, settings, auth.account, auth.user, update)
    return await _credential_account(session, settings, auth.account, auth.user)
