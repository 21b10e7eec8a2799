"""Chaupal API: two-factor authentication (TOTP) for the caller's own account — status, set-up
(secret and otpauth URI), confirming with a code, and disabling with a code."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from chaupal.actions import otp as otp_actions
from chaupal.api.chaupal.institutions_staff import OwnRead, OwnWrite
from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.api.params import all_params
from chaupal.models import User
from chaupal.render import iso

router = APIRouter(prefix="/api/chaupal/v1/otp", tags=["two-factor"])


def _state(user: User) -> dict[str, Any]:
    return {
        "enabled": user.otp_enabled_at is not None,
        "enabled_at": iso(user.otp_enabled_at),
        "pending": user.otp_enabled_at is None and bool(user.otp_secret),
    }


@router.get("")
async def otp_status(auth: OwnRead) -> dict[str, Any]:
    assert auth.user is not None
    return _state(auth.user)


@router.post("/setup")
async def otp_setup(auth: OwnWrite, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """A new secret for the authenticator app; it counts only after `/enable` with a code."""
    assert auth.user is not None and auth.account is not None
    secret = await otp_actions.do_begin_enrolment(session, auth.user)
    uri = otp_actions.provisioning_uri(settings, auth.user, auth.account)
    return {**_state(auth.user), "secret": secret, "provisioning_uri": uri}


@router.post("/enable")
async def otp_enable(
    request: Request, auth: OwnWrite, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    assert auth.user is not None
    params = await all_params(request)
    await otp_actions.check_enable(session, settings, request.app.state.limiter, auth.user, params.get("code"))
    return _state(auth.user)


@router.post("/disable")
async def otp_disable(
    request: Request, auth: OwnWrite, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    assert auth.user is not None
    params = await all_params(request)
    await otp_actions.check_disable(session, settings, request.app.state.limiter, auth.user, params.get("code"))
    return _state(auth.user)

