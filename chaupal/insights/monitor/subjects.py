"""What a monitor watches: a post (its replies, at any depth, and posts linking it), a hashtag,
a keyword (full-text, every word as a prefix) or every mention of an account. Each subject is
resolved once (visibility checked, 404 when hidden) into a SQL condition on statuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import access_account, access_status
from chaupal.api.mastodon.search import _matches as fulltext_matches
from chaupal.api.mastodon.search import words as search_words
from chaupal.config import Settings
from chaupal.errors import ApiError, not_found, unprocessable
from chaupal.lib.text import tag_key
from chaupal.models import Account, Mention, Status, StatusTag, Tag

KINDS = ("status", "tag", "keyword", "account")
OPEN = ("public", "unlisted")


@dataclass
class Subject:
    kind: str  # status | tag | keyword | account
    key: str  # status id, tag name, keyword, account id: "kind:key" names it in the stream
    clause: Any  # SQL condition on Status
    account_id: int | None = None  # whose answers count; its own posts are not reactions
    started_at: Any = None  # a post's creation time (the default window starts there)
    detail: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.key}"


def _acct(account: Account) -> dict[str, Any]:
    acct = account.username if not account.domain else f"{account.username}@{account.domain}"
    return {"id": str(account.id), "acct": acct, "display_name": account.display_name}


async def status_subject(session: AsyncSession, viewer_id: int | None, status_id: Any) -> Subject:
    post = await access_status(session, viewer_id, status_id)
    if post.reblog_of_id is not None:
        post = await access_status(session, viewer_id, post.reblog_of_id)
    if post.visibility not in OPEN:
        raise not_found()  # the monitor shows public data only
    below = select(Status.id).where(Status.in_reply_to_id == post.id).cte("below", recursive=True)
    below = below.union_all(select(Status.id).where(Status.in_reply_to_id == below.c.id))
    links = [Status.text.contains(u, autoescape=True) for u in {post.url, post.uri} if u]
    author = await session.get(Account, post.account_id)
    assert author is not None
    return Subject(
        "status", str(post.id), or_(Status.id.in_(select(below.c.id)), *links),
        account_id=post.account_id, started_at=post.created_at,
        detail={"id": str(post.id), "url": post.url, "account": _acct(author),
                "created_at": post.created_at.isoformat(), "text": post.text[:280]},
    )


async def tag_subject(session: AsyncSession, settings: Settings, name: str) -> Subject:
    key = tag_key(name.strip().lstrip("#"))
    if not key or len(key) > settings.max_hashtag_chars:
        raise unprocessable("A hashtag name is required (at most max_hashtag_chars characters)")
    tag = await session.scalar(select(Tag).where(Tag.name_lower == key))
    # By name, not id: a tag first used after the stream opened still matches.
    clause = Status.id.in_(
        select(StatusTag.status_id).join(Tag, Tag.id == StatusTag.tag_id).where(Tag.name_lower == key)
    )
    return Subject("tag", key, clause, detail={"name": tag.name if tag else key})


def keyword_subject(settings: Settings, dialect: str, q: Any) -> Subject:
    if not isinstance(q, str) or not q.strip():
        raise unprocessable("q (the keyword) is required")
    if len(q) > settings.reactions_keyword_max_chars:
        raise unprocessable(f"q is longer than {settings.reactions_keyword_max_chars} characters")
    terms = search_words(q)
    if not terms:
        raise unprocessable("q must contain a word")
    return Subject("keyword", " ".join(terms), fulltext_matches(dialect, terms), detail={"q": q.strip()})


async def account_subject(session: AsyncSession, account_id: Any) -> Subject:
    account = await access_account(session, account_id)
    clause = or_(
        Status.id.in_(select(Mention.status_id).where(Mention.account_id == account.id)),
        Status.in_reply_to_account_id == account.id,
    )
    return Subject("account", str(account.id), clause, account_id=account.id,
                   detail={"account": _acct(account)})


async def resolve_subject(
    session: AsyncSession, settings: Settings, viewer_id: int | None, raw: Any
) -> Subject:
    """`status:ID`, `tag:NAME`, `keyword:WORDS` or `account:ID` (the streaming parameter)."""
    if not isinstance(raw, str) or ":" not in raw:
        raise ApiError(422, "subject must be status:ID, tag:NAME, keyword:WORDS or account:ID")
    kind, _, key = raw.partition(":")
    if kind == "status":
        return await status_subject(session, viewer_id, key)
    if kind == "tag":
        return await tag_subject(session, settings, key)
    if kind == "keyword":
        return keyword_subject(settings, session.bind.dialect.name, key)
    if kind == "account":
        return await account_subject(session, key)
    raise ApiError(422, "subject must be status:ID, tag:NAME, keyword:WORDS or account:ID")
