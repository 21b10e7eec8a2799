"""Mastodon admin API, the part that exists so far: suspending and unsuspending accounts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions.accounts import do_suspend_account, do_unsuspend_account
from chaupal.api.deps import Auth, SessionDep, SettingsDep, require_user
from chaupal.api.params import parse
from chaupal.config import Settings
from chaupal.errors import ApiError, not_found, unprocessable
from chaupal.models import Account, User
from chaupal.render import iso
from chaupal.render.accounts import render_account

router = APIRouter()
STAFF = ("moderator", "admin")
RANK = {"user": 0, "moderator": 1, "admin": 2}


def _staff(scope: str) -> Any:
    async def dep(auth: Auth = Depends(require_user(scope))) -> Auth:  # noqa: B008
        assert auth.user is not None
        if auth.user.role not in STAFF:
            raise ApiError(403, "This action is not allowed")
        return auth

    return Depends(dep)


AdminWrite = Annotated[Auth, _staff("admin:write:accounts")]  # or `admin:write`


async def _target(session: AsyncSession, auth: Auth, account_id: str) -> tuple[Account, User | None]:
    if not account_id.isdigit() or len(account_id) > 20:
        raise not_found()
    account = await session.get(Account, int(account_id))
    if account is None:
        raise not_found()
    user = await session.scalar(select(User).where(User.account_id == account.id))
    assert auth.user is not None and auth.account is not None
    if account.id == auth.account.id:
        raise ApiError(403, "You cannot moderate your own account")
    if user is not None and RANK.get(user.role, 0) >= RANK[auth.user.role]:
        raise ApiError(403, "You cannot moderate staff of your rank or above")
    return account, user


def render_admin_account(settings: Settings, account: Account, user: User | None) -> dict[str, Any]:
    """Mastodon's Admin::Account entity, from what Chaupal records."""
    return {
        "id": str(account.id),
        "username": account.username,
        "domain": account.domain or None,
        "created_at": iso(account.created_at),
        "email": user.email if user else None,
        "ip": None,
        "ips": [],
        "locale": user.locale if user else None,
        "invite_request": user.reason if user else None,
        "role": {"name": user.role if user else "user"},
        "confirmed": True,
        "approved": bool(user.approved) if user else True,
        "disabled": bool(user.disabled) if user else False,
        "silenced": False,
        "suspended": account.suspended_at is not None,
        "sensitized": False,
        "account": render_account(settings, account),
    }


class ActionParams(BaseModel):
    type: str
    text: str | None = None
    report_id: str | None = None
    warning_preset_id: str | None = None
    send_email_notification: bool | None = None


@router.post("/api/v1/admin/accounts/{account_id}/action")
async def account_action(
    account_id: str, request: Request, auth: AdminWrite, session: SessionDep
) -> dict[str, Any]:
    params = await parse(request, ActionParams)
    account, _ = await _target(session, auth, account_id)
    if params.type == "suspend":
        await do_suspend_account(session, account)
    elif params.type != "none":
        raise unprocessable(f"action type {params.type!r} is not supported (use suspend or none)")
    return {}


@router.post("/api/v1/admin/accounts/{account_id}/unsuspend")
async def unsuspend(
    account_id: str, auth: AdminWrite, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    account, user = await _target(session, auth, account_id)
    if account.suspended_at is None:
        raise ApiError(403, "This account is not suspended")
    await do_unsuspend_account(session, account)
    return render_admin_account(settings, account, user)
