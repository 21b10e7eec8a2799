"""External presences of an account and their audience figures: anyone reads them; the
account's owners (or an admin) declare, delete and record; an admin marks them verified."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from chaupal.actions.presences import (
    access_presence,
    access_presence_account,
    check_add_presence,
    check_record_audience,
    do_delete_presence,
    do_mark_presence_verified,
)
from chaupal.api.deps import SessionDep, SettingsDep, WriteAccounts
from chaupal.api.params import parse
from chaupal.errors import forbidden
from chaupal.gov.leaderboards import external_audiences
from chaupal.render import iso

router = APIRouter()
BASE = "/api/chaupal/v1/accounts/{account_id}/presences"


class PresenceParams(BaseModel):
    platform: str = Field(max_length=10_000)
    url: str = Field(max_length=100_000)


class AudienceParams(BaseModel):
    followers: int = Field(ge=0, lt=2**63)
    as_of: date
    source: str = Field(max_length=100_000)


class VerifyParams(BaseModel):
    verified: bool = True


async def _listing(session: Any, account_id: int) -> list[dict[str, Any]]:
    return (await external_audiences(session, [account_id])).get(account_id, [])


@router.get(BASE)
async def list_presences(account_id: str, session: SessionDep) -> list[dict[str, Any]]:
    account = await access_presence_account(session, account_id)
    return await _listing(session, account.id)


@router.post(BASE)
async def add_presence(
    account_id: str, request: Request, auth: WriteAccounts, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    params = await parse(request, PresenceParams)
    assert auth.user is not None
    account = await access_presence_account(session, account_id, auth.user)
    presence = await check_add_presence(session, settings, account, auth.user, params.platform, params.url)
    return {
        "id": str(presence.id), "platform": presence.platform, "url": presence.url,
        "verified_at": iso(presence.verified_at), "followers": None, "as_of": None, "source": None,
    }


@router.delete(BASE + "/{presence_id}")
async def delete_presence(
    account_id: str, presence_id: str, auth: WriteAccounts, session: SessionDep
) -> dict[str, Any]:
    assert auth.user is not None
    account = await access_presence_account(session, account_id, auth.user)
    await do_delete_presence(session, account, auth.user, await access_presence(session, account, presence_id))
    return {}


@router.post(BASE + "/{presence_id}/audience")
async def record_audience(
    account_id: str, presence_id: str, request: Request, auth: WriteAccounts,
    session: SessionDep, settings: SettingsDep,
) -> dict[str, Any]:
    params = await parse(request, AudienceParams)
    assert auth.user is not None
    account = await access_presence_account(session, account_id, auth.user)
    presence = await access_presence(session, account, presence_id)
    row = await check_record_audience(
        session, settings, account, presence, auth.user,
        followers=params.followers, as_of=params.as_of, source=params.source,
    )
    return {
        "id": str(row.id), "presence_id": str(presence.id), "followers": row.followers,
        "as_of": row.as_of.isoformat(), "source": row.source,
    }


@router.post(BASE + "/{presence_id}/verify")
async def verify_presence(
    account_id: str, presence_id: str, request: Request, auth: WriteAccounts, session: SessionDep
) -> dict[str, Any]:
    params = await parse(request, VerifyParams)
    assert auth.user is not None
    if auth.user.role != "admin":
        raise forbidden("Only an admin may mark an external presence verified")
    account = await access_presence_account(session, account_id)
    presence = await access_presence(session, account, presence_id)
    await do_mark_presence_verified(session, account, auth.user, presence, params.verified)
    return {"id": str(presence.id), "verified_at": iso(presence.verified_at)}
