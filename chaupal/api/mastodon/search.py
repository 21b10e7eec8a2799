"""Mastodon API: search (v2) over accounts, hashtags and the full text of statuses.

Status search needs a signed-in user and only ever returns statuses that user may see;
words match by prefix in any script (Hindi, Hinglish, English)."""

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
    q: str,
    viewer: Account | None,
    *,
    following: bool,
    limit: int,
    offset: int,
) -> list[Account]:
    """Accounts whose username or display name starts with `q` (`@user@domain` accepted)."""
    q = q.strip().lstrip("@")
    username, _, domain = q.partition("@")
    username = unicodedata.normalize("NFC", username).casefold()
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
    if domain:
        stmt = stmt.where(Account.domain.in_((domain.lower(), "")) if domain.lower() else True)
    if following and viewer is not None:
        stmt = stmt.where(
            Account.id.in_(select(Follow.target_account_id).where(Follow.account_id == viewer.id))
        )
    exact = case((Account.username_lower == username, 0), else_=1)
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
    return await _results(session, settings, q, kinds, viewer, params, page)


async def _results(
    session: AsyncSession,
    settings: Settings,
    q: str,
    kinds: set[str],
    viewer: Account | None,
    params: SearchParams,
    page: Page,
) -> dict[str, Any]:
    accounts: list[Account] = []
    tags: list[Tag] = []
    statuses: list[Status] = []
    if "accounts" in kinds:
        accounts = await search_accounts(
            session, q, viewer, following=params.following, limit=page.limit, offset=params.offset
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
