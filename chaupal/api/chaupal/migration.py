"""Moving an account (issue 7) — Mastodon does this in its web settings only, so the API lives
in our namespace: the aliases (accounts this one moved from) and the move itself.

A target named by a remote handle is looked up (WebFinger) and a remote target's actor fetched
fresh from its origin before anything is written, with the SQLite writer lock let go."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions.migration import (
    check_add_alias,
    check_move,
    check_password_for_move,
    do_remove_alias,
)
from chaupal.api.deps import Auth, ReadAccounts, SessionDep, SettingsDep, WriteAccounts
from chaupal.api.params import parse
from chaupal.config import Settings
from chaupal.errors import forbidden, not_found
from chaupal.federation import lookup
from chaupal.models import Account
from chaupal.render.accounts import render_account

router = APIRouter()
BASE = "/api/chaupal/v1/accounts"


class AliasParams(BaseModel):
    acct: str = Field(max_length=1000)


class MoveParams(BaseModel):
    target_acct: str = Field(max_length=1000)
    current_password: str = Field(default="", max_length=10_000)


def _own(auth: Auth) -> Account:
    """The caller's own account (a delegated staff token cannot move an institution)."""
    if auth.account is None or auth.user is None or auth.staff_account is not None:
        raise forbidden()
    return auth.account


@contextlib.asynccontextmanager
async def _network_phase(request: Request, session: AsyncSession) -> AsyncIterator[None]:
    """Commit what the request wrote so far and, on SQLite, let the writer lock go while
    other servers are asked; the request's session carries on in a new transaction after."""
    await session.commit()
    lock = getattr(request.app.state, "write_lock", None)
    if lock is None or not lock.locked():
        yield
        return
    lock.release()
    try:
        yield
    finally:
        await lock.acquire()


async def _resolve(
    request: Request, session: AsyncSession, settings: Settings, acct: str
) -> tuple[int, list[str] | None]:
    """(account id, fresh alsoKnownAs for a remote account) of `acct` (`user`, `user@domain`)."""
    acct = acct.strip().lstrip("@")
    handle = lookup.split_handle(settings, acct) if "@" in acct else (acct, "")
    if handle is None or not handle[0]:
        raise not_found()
    state = request.app.state
    aliases: list[str] | None = None
    async with _network_phase(request, session):
        async with state.read_sessions() as reader:
            found = await lookup.resolve_handle(state, reader, settings, *handle)
        if found is not None and handle[1]:
            async with lookup.fresh_reader(state, settings) as fresh:  # sees what was just stored
                uri = await fresh.scalar(select(Account.uri).where(Account.id == found))
            aliases = await _fresh_aliases(settings, uri or "")
    if found is None:
        raise not_found()
    return found, aliases


async def _fresh_aliases(settings: Settings, uri: str) -> list[str]:
    """The remote actor's alsoKnownAs as its origin serves it now ([] when unreachable)."""
    from chaupal.federation import fetch, remote

    try:
        return list((await remote.fetch_actor(settings, uri)).also_known_as)
    except (remote.RemoteError, fetch.FetchError):
        return []


async def _render_aliases(session: AsyncSession, settings: Settings, account: Account) -> list[dict[str, Any]]:
    """Each alias URI, with the account it names when we hold it."""
    local_prefix = f"{settings.base_url}/users/"
    out = []
    for uri in [u for u in (account.also_known_as or []) if isinstance(u, str)]:
        if uri.startswith(local_prefix):
            known = await lookup.known_account(session, uri.removeprefix(local_prefix), "")
        else:
            known = await session.scalar(select(Account).where(Account.uri == uri).limit(1))
        out.append({"uri": uri, "account": render_account(settings, known) if known else None})
    return out


@router.get(BASE + "/aliases")
async def list_aliases(auth: ReadAccounts, session: SessionDep, settings: SettingsDep) -> list[dict[str, Any]]:
    return await _render_aliases(session, settings, _own(auth))


@router.post(BASE + "/aliases")
async def add_alias(
    request: Request, auth: WriteAccounts, session: SessionDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    params = await parse(request, AliasParams)
    account = _own(auth)
    target_id, _ = await _resolve(request, session, settings, params.acct)
    target = await session.get(Account, target_id)
    if target is None:
        raise not_found()
    await check_add_alias(session, settings, account, target)
    return await _render_aliases(session, settings, account)


@router.delete(BASE + "/aliases")
async def remove_alias(
    request: Request, auth: WriteAccounts, session: SessionDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    """Takes `acct` (a handle we hold) or the alias URI itself; no network."""
    params = await parse(request, AliasParams)
    account = _own(auth)
    uri = params.acct.strip()
    if uri not in (account.also_known_as or []):
        acct = uri.lstrip("@")
        handle = lookup.split_handle(settings, acct) if "@" in acct else (acct, "")
        known = await lookup.known_account(session, *handle) if handle and handle[0] else None
        if known is None:
            raise not_found()
        uri = known.uri or f"{settings.base_url}/users/{known.username}"
    if not await do_remove_alias(session, account, uri):
        raise not_found()
    return await _render_aliases(session, settings, account)


@router.post(BASE + "/migration")
async def move_account(
    request: Request, auth: WriteAccounts, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    params = await parse(request, MoveParams)
    account = _own(auth)
    assert auth.user is not None
    check_password_for_move(auth.user, params.current_password)  # before any network
    target_id, remote_aliases = await _resolve(request, session, settings, params.target_acct)
    await session.refresh(account)
    target = await session.get(Account, target_id)
    if target is None:
        raise not_found()
    aliases = remote_aliases if remote_aliases is not None else list(target.also_known_as or [])
    switched = await check_move(
        session, settings, account, auth.user, target,
        password=params.current_password, target_aliases=aliases,
    )
    return {
        "account": render_account(settings, account),
        "moved": render_account(settings, target),
        "followers_switched": switched,
    }
