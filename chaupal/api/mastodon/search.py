"""Mastodon API: search (v2) over accounts, hashtags and the full text of statuses.

Status search needs a signed-in user and only ever returns statuses that user may see;
words match by prefix in any script (Hindi, Hinglish, English). A `user@domain` handle or the
URL of an actor or a post is also looked up on its server when a signed-in user asks with
`resolve=true` (issue 7, `chaupal.federation.lookup`)."""

from __future__ import annotations

import unicodedata
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import bindparam, case, func, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import not_filtered_clause, visible_clause
from chaupal.api.deps import ReadSearch, SessionDep, SettingsDep
from chaupal.api.mastodon.timelines import render_tags, tag_key
from chaupal.api.paging import page_from
from chaupal.api.params import parse
from chaupal.config import Settings
from chaupal.errors import ApiError
from chaupal.federation import lookup
from chaupal.lib.paging import Page
from chaupal.models import Account, Follow, Status, Tag
from chaupal.render.accounts import render_account
from chaupal.render.statuses import render_statuses
from chaupal.search_index import FTS_TABLE

router = APIRouter()


class SearchParams(BaseModel):
    q: str = ""
    type: Literal["accounts", "hashtags", "statuses"] | None = None
    resolve: bool = False
    following: bool = False
    account_id: int | None = None
    exclude_unreviewed: bool = False
    offset: int = Field(default=0, ge=0, lt=2**31)


def words(query: str) -> list[str]:
    """Search words: runs of letters, digits and combining marks (so Devanagari matras and
    viramas stay inside their word), NFC-normalised and casefolded."""
    out, current = [], []
    for ch in unicodedata.normalize("NFC", query):
        if unicodedata.category(ch)[0] in "LNM":
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return [w.casefold() for w in out]


def _like_prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search_accounts(
    session: AsyncSession,
    settings: Settings,
    q: str,
    viewer: Account | None,
    *,
    following: bool,
    limit: int,
    offset: int,
    first_id: int | None = None,
) -> list[Account]:
    """Accounts, local or remote, whose username or display name starts with `q`; with
    `@user@domain` only that domain's (ours: local). `first_id` (a resolved account) leads."""
    q = q.strip().lstrip("@")
    domain: str | None = None
    if "@" in q:
        handle = lookup.split_handle(settings, q)
        if handle is None:
            return []
        q, domain = handle
    username = unicodedata.normalize("NFC", q).casefold()
    if not username:
        return []
    pattern = _like_prefix(username)
    stmt = select(Account).where(
        Account.suspended_at.is_(None),
        or_(
            Account.username_lower.like(pattern, escape="\\"),
            func.lower(Account.display_name).like(pattern, escape="\\"),
        ),
    )
    if domain is not None:
        stmt = stmt.where(Account.domain == domain)
    if following and viewer is not None:
        stmt = stmt.where(
            Account.id.in_(select(Follow.target_account_id).where(Follow.account_id == viewer.id))
        )
    exact = case((Account.id == (first_id or 0), 0), (Account.username_lower == username, 1), else_=2)
    stmt = (
        stmt.order_by(
            exact, Account.followers_count.desc(), func.length(Account.username_lower), Account.id
        )
        .offset(offset)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def search_hashtags(session: AsyncSession, q: str, *, limit: int, offset: int) -> list[Tag]:
    key = tag_key(q)
    if not key:
        return []
    exact = case((Tag.name_lower == key, 0), else_=1)
    stmt = (
        select(Tag)
        .where(Tag.name_lower.like(_like_prefix(key), escape="\\"))
        .order_by(exact, func.length(Tag.name_lower), Tag.name_lower)
        .offset(offset)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


def _matches(dialect: str, terms: list[str]) -> Any:
    """Full-text condition on statuses: every word, as a prefix, through the search index."""
    if dialect == "postgresql":
        query = " & ".join(f"'{w}':*" for w in terms)  # words hold only letters, digits, marks
        vector = func.to_tsvector(literal_column("'simple'"), Status.text)
        return vector.op("@@")(
            func.to_tsquery(literal_column("'simple'"), bindparam("fts_q", query))
        )
    query = " AND ".join(f'"{w}"*' for w in terms)
    hits = (
        select(literal_column("rowid"))
        .select_from(text(FTS_TABLE))
        .where(text(f"{FTS_TABLE} MATCH :fts_q").bindparams(fts_q=query))
    )
    return Status.id.in_(hits)


async def search_statuses(
    session: AsyncSession,
    q: str,
    viewer: Account,
    *,
    account_id: int | None,
    page: Page,
    offset: int,
) -> list[Status]:
    terms = words(q)
    if not terms:
        return []
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    stmt = select(Status).where(
        _matches(dialect, terms),
        Status.reblog_of_id.is_(None),
        visible_clause(viewer.id),
        not_filtered_clause(viewer.id),
    )
    if account_id is not None:
        stmt = stmt.where(Status.account_id == account_id)
    if page.max_id is not None:
        stmt = stmt.where(Status.id < page.max_id)
    if page.min_id is not None:
        stmt = stmt.where(Status.id > page.min_id)
    stmt = stmt.order_by(Status.id.desc()).offset(offset).limit(page.limit)
    return list((await session.scalars(stmt)).all())


@router.get("/api/v2/search")
async def search(
    request: Request, session: SessionDep, settings: SettingsDep, auth: ReadSearch
) -> dict[str, Any]:
    params = await parse(request, SearchParams)
    page = page_from(request, 20, settings.search_max_results)
    viewer = auth.account if auth else None
    if viewer is None and (params.offset or params.resolve):
        raise ApiError(401, "Search queries pagination is not supported without authentication")
    q = params.q.strip()
    if not q:
        raise ApiError(400, "q is missing")
    kinds = {params.type} if params.type else {"accounts", "hashtags", "statuses"}
    if not params.type and q.startswith("#"):
        kinds = {"hashtags"}
    elif not params.type and q.startswith("@"):
        kinds = {"accounts"}
    resolve = params.resolve and viewer is not None and params.offset == 0
    state = request.app.state
    if lookup.is_url(q):
        account_id, status_id = (
            await lookup.resolve_url(state, session, settings, q) if resolve
            else lookup.known_ids_by_url(*(await lookup.known_by_url(session, settings, q)))
        )
        async with lookup.fresh_reader(state, settings) as fresh:  # sees what the lookup just stored
            return await _named(fresh, settings, kinds, viewer, account_id, status_id)
    handle = lookup.split_handle(settings, q) if "accounts" in kinds else None
    if resolve and handle is not None and handle[1]:
        first = await lookup.resolve_handle(state, session, settings, *handle)
        if first is not None:
            async with lookup.fresh_reader(state, settings) as fresh:
                return await _results(fresh, settings, q, kinds, viewer, params, page, first)
    return await _results(session, settings, q, kinds, viewer, params, page)


async def _named(
    session: AsyncSession,
    settings: Settings,
    kinds: set[str],
    viewer: Account | None,
    account_id: int | None,
    status_id: int | None,
) -> dict[str, Any]:
    """The results of a URL query: the one account or status it names, if the viewer may see it."""
    accounts: list[Account] = []
    statuses: list[Status] = []
    if account_id is not None and "accounts" in kinds:
        found = await session.get(Account, account_id)
        accounts = [found] if found is not None and found.suspended_at is None else []
    if status_id is not None and "statuses" in kinds:
        viewer_id = viewer.id if viewer else None
        statuses = list((await session.scalars(select(Status).where(
            Status.id == status_id, visible_clause(viewer_id), not_filtered_clause(viewer_id),
        ))).all())
    return {
        "accounts": [render_account(settings, a) for a in accounts],
        "statuses": await render_statuses(session, settings, statuses, viewer.id if viewer else None),
        "hashtags": [],
    }


async def _results(
    session: AsyncSession,
    settings: Settings,
    q: str,
    kinds: set[str],
    viewer: Account | None,
    params: SearchParams,
    page: Page,
    first_account_id: int | None = None,
) -> dict[str, Any]:
    accounts: list[Account] = []
    tags: list[Tag] = []
    statuses: list[Status] = []
    if "accounts" in kinds:
        accounts = await search_accounts(
            session, settings, q, viewer, following=params.following, limit=page.limit,
            offset=params.offset, first_id=first_account_id,
        )
    if "hashtags" in kinds:
        tags = await search_hashtags(session, q, limit=page.limit, offset=params.offset)
    if "statuses" in kinds and viewer is not None:  # status search needs a signed-in user
        statuses = await search_statuses(
            session, q, viewer, account_id=params.account_id, page=page, offset=params.offset
        )
    return {
        "accounts": [render_account(settings, a) for a in accounts],
        "statuses": await render_statuses(
            session, settings, statuses, viewer.id if viewer else None
        ),
        "hashtags": await render_tags(session, settings, tags),
    }


@router.get("/api/v1/search")
async def search_v1() -> None:
    """Removed in Mastodon 3.0; clients use /api/v2/search."""
    raise ApiError(410, "This API was removed; use /api/v2/search")
