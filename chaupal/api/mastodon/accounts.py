"""Mastodon API: reading accounts — get one or several, lookup, search, an account's statuses,
followers and following, featured tags and lists. Relationship routes live in
`account_relations.py`, included first so its fixed paths win over `/accounts/{id}`."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field, field_validator
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from chaupal.access import access_account, not_filtered_clause, visible_clause
from chaupal.api.deps import (
    Auth,
    MaybeReadAccounts,
    MaybeReadStatuses,
    ReadAccounts,
    SessionDep,
    SettingsDep,
    require_user,
)
from chaupal.api.mastodon import account_relations
from chaupal.api.mastodon.account_relations import IdsParams, Params, account_ids, load_accounts
from chaupal.api.paging import apply_page, finish, page_from, set_link
from chaupal.api.params import parse
from chaupal.config import Settings
from chaupal.errors import not_found
from chaupal.federation import lookup as remote_lookup
from chaupal.models import (
    Account,
    AccountDomainBlock,
    Block,
    Follow,
    MediaAttachment,
    Status,
    StatusPin,
    StatusTag,
    Tag,
)
from chaupal.render.accounts import render_account
from chaupal.render.gov import render_account_detailed
from chaupal.render.statuses import render_statuses

router = APIRouter()
router.include_router(account_relations.router)


def tag_key(name: str) -> str:
    """How tags are matched: NFC, then casefolded (the rule of `chaupal.lib.text.tag_key`)."""
    return unicodedata.normalize("NFC", name).casefold()


def viewer_of(auth: Auth | None) -> int | None:
    return auth.account.id if auth is not None and auth.account is not None else None


@router.get("/api/v1/accounts")
async def get_accounts(
    request: Request, session: SessionDep, settings: SettingsDep, auth: MaybeReadAccounts
) -> list[dict[str, Any]]:
    """Several accounts by `id[]`; unknown and suspended IDs are left out, as in Mastodon."""
    params = await parse(request, IdsParams)
    accounts = await load_accounts(session, account_ids(settings, params.id))
    return [render_account(settings, a) for a in accounts]


class LookupParams(Params):
    acct: str = ""


@router.get("/api/v1/accounts/lookup")
async def lookup(
    request: Request, session: SessionDep, settings: SettingsDep, auth: MaybeReadAccounts
) -> dict[str, Any]:
    """`acct` is `user`, `@user`, `user@our.domain` or `user@other.domain`. A remote account we
    do not hold yet is looked up on its server (WebFinger) for a signed-in caller only, so an
    anonymous request never makes this server fetch anything."""
    params = await parse(request, LookupParams)
    acct = params.acct.strip().lstrip("@")
    handle = remote_lookup.split_handle(settings, acct) if "@" in acct else (acct, "")
    if handle is None or not handle[0]:
        raise not_found()
    username, domain = handle
    signed_in = auth is not None and auth.account is not None
    if not domain or not signed_in:
        account = await remote_lookup.known_account(session, username, domain)
        if account is None:
            raise not_found()
        return await render_account_detailed(session, settings, account)
    found = await remote_lookup.resolve_handle(request.app.state, session, settings, username, domain)
    if found is None:
        raise not_found()
    async with remote_lookup.fresh_reader(request.app.state, settings) as fresh:
        account = await fresh.get(Account, found)
        if account is None:
            raise not_found()
        return await render_account_detailed(fresh, settings, account)


class SearchParams(Params):
    q: str = ""
    limit: int | None = Field(default=None, ge=1)
    offset: int = Field(default=0, ge=0)
    following: bool = False
    resolve: bool = False  # look a `user@domain` we do not hold up on its server


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@router.get("/api/v1/accounts/search")
async def search(
    request: Request, session: SessionDep, settings: SettingsDep, auth: ReadAccounts
) -> list[dict[str, Any]]:
    """Accounts, local or remote, whose username, or a word of whose display name, starts with
    `q` (case-insensitive, NFC); `user@domain` searches that domain only and, with
    `resolve=true`, looks the account up on its server first. Exact match first, then the
    most followed."""
    params = await parse(request, SearchParams)
    q = unicodedata.normalize("NFC", params.q).strip().lstrip("@")
    domain: str | None = None
    if "@" in q:
        handle = remote_lookup.split_handle(settings, q)
        if handle is None:
            return []
        q, domain = handle
    if not q:
        return []
    first: int | None = None
    if params.resolve and domain and params.offset == 0:
        first = await remote_lookup.resolve_handle(request.app.state, session, settings, q, domain)
    if first is None:
        return await _search_accounts(session, settings, auth, params, q, domain, None)
    async with remote_lookup.fresh_reader(request.app.state, settings) as fresh:
        return await _search_accounts(fresh, settings, auth, params, q, domain, first)


async def _search_accounts(
    session: AsyncSession,
    settings: Settings,
    auth: Auth,
    params: SearchParams,
    q: str,
    domain: str | None,
    first: int | None,
) -> list[dict[str, Any]]:
    limit = min(params.limit or settings.page_accounts_default, settings.page_accounts_max)
    viewer = auth.account
    assert viewer is not None
    lowered = q.lower()
    prefix = _like_escape(lowered) + "%"
    word = "% " + prefix
    display = func.lower(Account.display_name)
    stmt = select(Account).where(
        Account.suspended_at.is_(None),
        or_(
            Account.username_lower.like(prefix, escape="\\"),
            display.like(prefix, escape="\\"),
            display.like(word, escape="\\"),
        ),
        ~exists().where(Block.account_id == Account.id, Block.target_account_id == viewer.id),
        ~exists().where(Block.account_id == viewer.id, Block.target_account_id == Account.id),
        ~exists().where(
            AccountDomainBlock.account_id == viewer.id, AccountDomainBlock.domain == Account.domain
        ),
    )
    if domain is not None:
        stmt = stmt.where(Account.domain == domain)
    if params.following:
        stmt = stmt.where(
            exists().where(Follow.account_id == viewer.id, Follow.target_account_id == Account.id)
        )
    exact = case((Account.id == (first or 0), 0), (Account.username_lower == lowered, 1), else_=2)
    stmt = (
        stmt.order_by(exact, Account.followers_count.desc(), Account.id)
        .offset(params.offset)
        .limit(limit)
    )
    return [render_account(settings, a) for a in (await session.scalars(stmt)).all()]


@router.get("/api/v1/accounts/{account_id}")
async def get_account(
    account_id: str, session: SessionDep, settings: SettingsDep, auth: MaybeReadAccounts
) -> dict[str, Any]:
    return await render_account_detailed(session, settings, await access_account(session, account_id))


class StatusesParams(Params):
    pinned: bool = False
    only_media: bool = False
    exclude_replies: bool = False
    exclude_reblogs: bool = False
    tagged: str | None = None

    @field_validator("tagged", mode="before")
    @classmethod
    def _tag(cls, value: Any) -> Any:
        return value.strip().lstrip("#") if isinstance(value, str) else value


@router.get("/api/v1/accounts/{account_id}/statuses")
async def account_statuses(
    account_id: str,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: MaybeReadStatuses,
) -> list[dict[str, Any]]:
    account = await access_account(session, account_id)
    params = await parse(request, StatusesParams)
    page = page_from(request, settings.page_statuses_default, settings.page_statuses_max)
    viewer_id = viewer_of(auth)
    original = aliased(Status)
    stmt = select(Status).where(Status.account_id == account.id, visible_clause(viewer_id))
    if params.only_media:  # reblogs carry no media of their own, so they drop out too
        stmt = stmt.where(exists().where(MediaAttachment.status_id == Status.id))
    if not params.exclude_reblogs:
        # A reblog shows only when the viewer may see the original and has not blocked or
        # muted its author (Mastodon's filtered_reblogs_scope).
        stmt = stmt.where(
            or_(
                Status.reblog_of_id.is_(None),
                exists().where(
                    original.id == Status.reblog_of_id,
                    visible_clause(viewer_id, original),
                    not_filtered_clause(viewer_id, original),
                ),
            )
        )
    else:
        stmt = stmt.where(Status.reblog_of_id.is_(None))
    if params.pinned:
        stmt = stmt.where(
            exists().where(StatusPin.status_id == Status.id, StatusPin.account_id == account.id)
        )
    if params.exclude_replies:
        # Mastodon keeps self-replies (threads) and drops replies to other accounts.
        stmt = stmt.where(
            or_(Status.in_reply_to_id.is_(None), Status.in_reply_to_account_id == account.id)
        )
    if params.tagged:
        stmt = stmt.where(
            exists().where(
                StatusTag.status_id == Status.id,
                StatusTag.tag_id == Tag.id,
                Tag.name_lower == tag_key(params.tagged),
            )
        )
    rows = finish((await session.scalars(apply_page(stmt, Status.id, page))).all(), page)
    set_link(request, response, [s.id for s in rows])
    return await render_statuses(session, settings, rows, viewer_id)


async def _follow_list(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: Auth | None,
    account_id: str,
    *,
    followers: bool,
) -> list[dict[str, Any]]:
    """Followers or following of an account, newest follow first, paged by the Follow row id."""
    account = await access_account(session, account_id)
    page = page_from(request, settings.page_accounts_default, settings.page_accounts_max)
    viewer_id = viewer_of(auth)
    if viewer_id != account.id:
        if account.hide_collections:
            return []
        if viewer_id is not None and await session.scalar(
            select(exists().where(Block.account_id == account.id, Block.target_account_id == viewer_id))
        ):
            return []
    other = Follow.account_id if followers else Follow.target_account_id
    mine = Follow.target_account_id if followers else Follow.account_id
    stmt = (
        select(Follow.id, Account)
        .join(Account, Account.id == other)
        .where(and_(mine == account.id, Account.suspended_at.is_(None)))
    )
    rows = finish((await session.execute(apply_page(stmt, Follow.id, page))).all(), page)
    set_link(request, response, [row_id for row_id, _ in rows])
    return [render_account(settings, a) for _, a in rows]


@router.get("/api/v1/accounts/{account_id}/followers")
async def followers(
    account_id: str,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: MaybeReadAccounts,
) -> list[dict[str, Any]]:
    return await _follow_list(
        request, response, session, settings, auth, account_id, followers=True
    )


@router.get("/api/v1/accounts/{account_id}/following")
async def following(
    account_id: str,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: MaybeReadAccounts,
) -> list[dict[str, Any]]:
    return await _follow_list(
        request, response, session, settings, auth, account_id, followers=False
    )


@router.get("/api/v1/accounts/{account_id}/featured_tags")
async def featured_tags(
    account_id: str, session: SessionDep, auth: MaybeReadAccounts
) -> list[dict[str, Any]]:
    """Featuring tags is not implemented, so no account has any: the empty list is the truth."""
    await access_account(session, account_id)
    return []


@router.get("/api/v1/accounts/{account_id}/lists")
async def account_lists(
    account_id: str,
    session: SessionDep,
    auth: Annotated[Auth, Depends(require_user("read:lists"))],
) -> list[dict[str, Any]]:
    """Lists are not implemented, so the account is in none of the caller's lists."""
    await access_account(session, account_id)
    return []
