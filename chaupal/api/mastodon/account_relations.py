"""Mastodon API: relationships from the caller to other accounts — read them (relationships,
familiar_followers) and change them (follow, unfollow, remove_from_followers, block, unblock,
mute, unmute). Included by `accounts.py` ahead of its `/api/v1/accounts/{id}` routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import access_account
from chaupal.actions.follows import (
    check_block,
    check_follow,
    check_mute,
    do_remove_from_followers,
    do_unblock,
    do_unfollow,
    do_unmute,
)
from chaupal.api.deps import (
    Auth,
    ReadFollows,
    SessionDep,
    SettingsDep,
    WriteBlocks,
    WriteFollows,
    WriteMutes,
)
from chaupal.api.params import parse
from chaupal.config import Settings
from chaupal.errors import unprocessable
from chaupal.models import Account, Follow
from chaupal.render.accounts import render_account, render_relationships

router = APIRouter()


def as_list(value: Any) -> Any:
    """`id=1` and `id[]=1&id[]=2` (and `id[0]=1`) all become a list."""
    if isinstance(value, (str, int)):
        return [str(value)]
    if isinstance(value, dict):
        return list(value.values())
    return value


class Params(BaseModel):
    """Base for parameter models: an empty value (`notify=`) counts as not given, as in Rails."""

    @model_validator(mode="before")
    @classmethod
    def _blank_is_missing(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v != "" and v is not None}
        return data


class IdsParams(Params):
    id: list[str] = []
    with_suspended: bool = False

    _ids = field_validator("id", mode="before")(as_list)


def account_ids(settings: Settings, raw: list[str]) -> list[int]:
    """Parse `id[]` the way Mastodon does (IDs that are not numbers match nothing), de-duplicated
    and in order; more than `max_account_ids_per_request` is a 422."""
    if len(raw) > settings.max_account_ids_per_request:
        raise unprocessable(
            f"too many ids (maximum is {settings.max_account_ids_per_request})"
        )
    out: list[int] = []
    for item in raw:
        try:
            value = int(str(item).strip())
        except ValueError:
            continue
        if 0 < value < 2**63 and value not in out:
            out.append(value)
    return out


async def load_accounts(
    session: AsyncSession, ids: list[int], *, with_suspended: bool = False
) -> list[Account]:
    """Accounts for `ids` in the order asked; unknown (and suspended) ones left out."""
    if not ids:
        return []
    stmt = select(Account).where(Account.id.in_(ids))
    if not with_suspended:
        stmt = stmt.where(Account.suspended_at.is_(None))
    found = {a.id: a for a in (await session.scalars(stmt)).all()}
    return [found[i] for i in ids if i in found]


def me(auth: Auth) -> Account:
    assert auth.account is not None  # require_user guarantees a user token
    return auth.account


async def relationship(session: AsyncSession, auth: Auth, target: Account) -> dict[str, Any]:
    return (await render_relationships(session, me(auth), [target.id]))[0]


@router.get("/api/v1/accounts/relationships")
async def relationships(
    request: Request, session: SessionDep, settings: SettingsDep, auth: ReadFollows
) -> list[dict[str, Any]]:
    params = await parse(request, IdsParams)
    ids = account_ids(settings, params.id)
    accounts = await load_accounts(session, ids, with_suspended=params.with_suspended)
    return await render_relationships(session, me(auth), [a.id for a in accounts])


@router.get("/api/v1/accounts/familiar_followers")
async def familiar_followers(
    request: Request, session: SessionDep, settings: SettingsDep, auth: ReadFollows
) -> list[dict[str, Any]]:
    """For each account: those of its followers whom the caller follows. As in Mastodon, an
    account that hides its collections has none to show, and followers who hide theirs are left out."""
    params = await parse(request, IdsParams)
    accounts = await load_accounts(session, account_ids(settings, params.id))
    shown = [a.id for a in accounts if not a.hide_collections]
    by_target: dict[int, list[Account]] = {}
    if shown:
        caller_follows = select(Follow.target_account_id).where(Follow.account_id == me(auth).id)
        rows = await session.execute(
            select(Follow.target_account_id, Account)
            .join(Account, Account.id == Follow.account_id)
            .where(
                Follow.target_account_id.in_(shown),
                Follow.account_id.in_(caller_follows),
                Account.suspended_at.is_(None),
                Account.hide_collections.is_(False),
            )
            .order_by(Follow.id.desc())
        )
        for target_id, follower in rows.all():
            by_target.setdefault(target_id, []).append(follower)
    return [
        {
            "id": str(a.id),
            "accounts": [render_account(settings, f) for f in by_target.get(a.id, [])],
        }
        for a in accounts
    ]


class FollowParams(Params):
    reblogs: bool = True
    notify: bool = False
    languages: list[str] | None = None

    _languages = field_validator("languages", mode="before")(as_list)


@router.post("/api/v1/accounts/{account_id}/follow")
async def follow(
    account_id: str, request: Request, session: SessionDep, settings: SettingsDep, auth: WriteFollows
) -> dict[str, Any]:
    target = await access_account(session, account_id)
    params = await parse(request, FollowParams)
    await check_follow(
        session,
        settings,
        me(auth),
        target,
        reblogs=params.reblogs,
        notify=params.notify,
        languages=params.languages,
    )
    return await relationship(session, auth, target)


@router.post("/api/v1/accounts/{account_id}/unfollow")
async def unfollow(
    account_id: str, session: SessionDep, settings: SettingsDep, auth: WriteFollows
) -> dict[str, Any]:
    target = await access_account(session, account_id)
    await do_unfollow(session, me(auth), target, settings=settings)
    return await relationship(session, auth, target)


@router.post("/api/v1/accounts/{account_id}/remove_from_followers")
async def remove_from_followers(
    account_id: str, session: SessionDep, settings: SettingsDep, auth: WriteFollows
) -> dict[str, Any]:
    follower = await access_account(session, account_id)
    await do_remove_from_followers(session, me(auth), follower, settings=settings)
    return await relationship(session, auth, follower)


@router.post("/api/v1/accounts/{account_id}/block")
async def block(
    account_id: str, session: SessionDep, settings: SettingsDep, auth: WriteBlocks
) -> dict[str, Any]:
    target = await access_account(session, account_id)
    await check_block(session, me(auth), target, settings=settings)
    return await relationship(session, auth, target)


@router.post("/api/v1/accounts/{account_id}/unblock")
async def unblock(
    account_id: str, session: SessionDep, settings: SettingsDep, auth: WriteBlocks
) -> dict[str, Any]:
    target = await access_account(session, account_id)
    await do_unblock(session, me(auth), target, settings=settings)
    return await relationship(session, auth, target)


class MuteParams(Params):
    notifications: bool = True
    duration: int = 0


@router.post("/api/v1/accounts/{account_id}/mute")
async def mute(
    account_id: str, request: Request, session: SessionDep, settings: SettingsDep, auth: WriteMutes
) -> dict[str, Any]:
    target = await access_account(session, account_id)
    params = await parse(request, MuteParams)
    if params.duration < 0:
        raise unprocessable("duration must not be negative")
    if params.duration > settings.max_mute_duration_seconds:
        raise unprocessable(
            f"duration is too long (maximum is {settings.max_mute_duration_seconds} seconds; "
            "0 mutes indefinitely)"
        )
    await check_mute(
        session, me(auth), target, notifications=params.notifications, duration=params.duration
    )
    return await relationship(session, auth, target)


@router.post("/api/v1/accounts/{account_id}/unmute")
async def unmute(account_id: str, session: SessionDep, auth: WriteMutes) -> dict[str, Any]:
    target = await access_account(session, account_id)
    await do_unmute(session, me(auth), target)
    return await relationship(session, auth, target)
