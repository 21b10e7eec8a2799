"""Status entities, in batches: one query per kind of related data for the whole page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from chaupal.config import Settings
from chaupal.models import (
    Account,
    Application,
    Bookmark,
    Favourite,
    Mention,
    Mute,
    Status,
    StatusPin,
    StatusTag,
    Tag,
)
from chaupal.render import iso
from chaupal.render.accounts import account_url, render_account
from chaupal.render.media import render_media_for_statuses


def status_url(settings: Settings, account: Account, status: Status) -> str:
    return status.url or f"{settings.base_url}/@{account.username}/{status.id}"


def status_uri(settings: Settings, account: Account, status: Status) -> str:
    return status.uri or f"{settings.base_url}/users/{account.username}/statuses/{status.id}"


def tag_url(settings: Settings, name: str) -> str:
    return f"{settings.base_url}/tags/{name}"


async def _accounts(session: AsyncSession, account_ids: set[int]) -> dict[int, Account]:
    """The authors, taking those already loaded in this session (a select would not refresh
    them either) and loading the rest in one query."""
    found: dict[int, Account] = {}
    for aid in account_ids:
        obj = session.identity_map.get(identity_key(Account, aid))
        if obj is not None and _fully_loaded(obj):
            found[aid] = obj
    missing = account_ids - found.keys()
    if missing:
        for a in (await session.scalars(select(Account).where(Account.id.in_(missing)))).all():
            found[a.id] = a
    return found


def _fully_loaded(obj: Any) -> bool:
    """Every column is loaded (none expired or deferred), so rendering needs no lazy load."""
    state = inspect(obj)
    if state.deleted or state.detached or state.pending:
        return False
    return all(attr.key in state.dict for attr in state.mapper.column_attrs)


async def viewer_marks(
    session: AsyncSession, viewer_id: int, status_ids: list[int], account_ids: set[int]
) -> tuple[set[int], set[int], set[int], set[int], set[int]]:
    """What the viewer did to these statuses and their authors, in one round trip:
    (favourited, bookmarked, pinned, reblogged status IDs; muted account IDs)."""

    def part(kind: str, column: Any, *where: Any) -> Any:
        return select(literal(kind).label("k"), column.label("v")).where(*where)

    rows = await session.execute(
        union_all(
            part("f", Favourite.status_id, Favourite.account_id == viewer_id,
                 Favourite.status_id.in_(status_ids)),
            part("b", Bookmark.status_id, Bookmark.account_id == viewer_id,
                 Bookmark.status_id.in_(status_ids)),
            part("p", StatusPin.status_id, StatusPin.account_id == viewer_id,
                 StatusPin.status_id.in_(status_ids)),
            part("r", Status.reblog_of_id, Status.account_id == viewer_id,
                 Status.reblog_of_id.in_(status_ids)),
            part("m", Mute.target_account_id, Mute.account_id == viewer_id,
                 Mute.target_account_id.in_(account_ids)),
        )
    )
    marks: dict[str, set[int]] = {"f": set(), "b": set(), "p": set(), "r": set(), "m": set()}
    for kind, value in rows:
        marks[kind].add(value)
    return marks["f"], marks["b"], marks["p"], marks["r"], marks["m"]


async def render_statuses(
    session: AsyncSession,
    settings: Settings,
    statuses: list[Status],
    viewer_id: int | None,
    *,
    with_source: bool = False,
    fresh: bool = False,
) -> list[dict[str, Any]]:
    """Render `statuses` (reblogs included) for `viewer_id`, keeping their order. With
    `with_source`, `text` carries the source as written (Mastodon's delete-and-redraft).
    `fresh`: the viewer created them in this transaction (and they are not reblogs), so
    nobody can have favourited, bookmarked, pinned or reblogged them yet: no query for that."""
    if not statuses:
        return []
    by_id: dict[int, Status] = {s.id: s for s in statuses}
    reblog_ids = [s.reblog_of_id for s in statuses if s.reblog_of_id and s.reblog_of_id not in by_id]
    if reblog_ids:
        for s in (await session.scalars(select(Status).where(Status.id.in_(reblog_ids)))).all():
            by_id[s.id] = s
    all_ids = list(by_id)
    account_ids = {s.account_id for s in by_id.values()}

    mention_rows = (
        await session.execute(
            select(Mention.status_id, Account)
            .join(Account, Account.id == Mention.account_id)
            .where(Mention.status_id.in_(all_ids))
            .order_by(Mention.id)
        )
    ).all()
    accounts = await _accounts(session, account_ids)
    mentions: dict[int, list[Account]] = {}
    for sid, acc in mention_rows:
        mentions.setdefault(sid, []).append(acc)

    tags: dict[int, list[str]] = {}
    for sid, name in (
        await session.execute(
            select(StatusTag.status_id, Tag.name)
            .join(Tag, Tag.id == StatusTag.tag_id)
            .where(StatusTag.status_id.in_(all_ids))
        )
    ).all():
        tags.setdefault(sid, []).append(name)

    media = await render_media_for_statuses(session, settings, all_ids)

    app_ids = {s.application_id for s in by_id.values() if s.application_id}
    apps: dict[int, Application] = {}
    if app_ids:
        apps = {
            a.id: a
            for a in (await session.scalars(select(Application).where(Application.id.in_(app_ids)))).all()
        }

    fav = reb = book = pin = muted = set()
    if viewer_id is not None and not fresh:
        fav, book, pin, reb, muted = await viewer_marks(session, viewer_id, all_ids, account_ids)

    rendered_accounts: dict[int, dict[str, Any]] = {}

    def acc_json(aid: int) -> dict[str, Any]:
        if aid not in rendered_accounts:
            rendered_accounts[aid] = render_account(settings, accounts[aid])
        return rendered_accounts[aid]

    def one(s: Status) -> dict[str, Any]:
        author = accounts[s.account_id]
        app = apps.get(s.application_id) if s.application_id else None
        data: dict[str, Any] = {
            "id": str(s.id),
            "uri": status_uri(settings, author, s),
            "url": status_url(settings, author, s) if not s.reblog_of_id else None,
            "created_at": iso(s.created_at),
            "edited_at": iso(s.edited_at),
            "account": acc_json(s.account_id),
            "content": s.content,
            "text": s.text if with_source else None,
            "visibility": s.visibility,
            "sensitive": s.sensitive,
            "spoiler_text": s.spoiler_text,
            "media_attachments": media.get(s.id, []),
            "application": {"name": app.name, "website": app.website} if app else None,
            "mentions": [
                {"id": str(m.id), "username": m.username, "url": account_url(settings, m), "acct": m.acct}
                for m in mentions.get(s.id, [])
            ],
            "tags": [
                {"name": n, "url": tag_url(settings, n)} for n in sorted(tags.get(s.id, []))
            ],
            "emojis": [],
            "reblogs_count": s.reblogs_count,
            "favourites_count": s.favourites_count,
            "replies_count": s.replies_count,
            "in_reply_to_id": str(s.in_reply_to_id) if s.in_reply_to_id else None,
            "in_reply_to_account_id": str(s.in_reply_to_account_id) if s.in_reply_to_account_id else None,
            "reblog": None,
            "poll": None,
            "card": None,
            "language": s.language,
            "filtered": [],
        }
        if viewer_id is not None:
            data["favourited"] = s.id in fav
            data["reblogged"] = s.id in reb
            data["muted"] = s.account_id in muted
            data["bookmarked"] = s.id in book
            if s.account_id == viewer_id:
                data["pinned"] = s.id in pin
        return data

    out = []
    for s in statuses:
        data = one(s)
        if s.reblog_of_id:
            original = by_id.get(s.reblog_of_id)
            if original is None:
                continue
            data["reblog"] = one(original)
            data["content"] = ""
            data["mentions"], data["tags"] = [], []
            data["reblogs_count"] = data["favourites_count"] = data["replies_count"] = 0
        out.append(data)
    return out


async def render_status(
    session: AsyncSession,
    settings: Settings,
    status: Status,
    viewer_id: int | None,
    *,
    with_source: bool = False,
    fresh: bool = False,
) -> dict[str, Any]:
    return (
        await render_statuses(
            session, settings, [status], viewer_id, with_source=with_source, fresh=fresh
        )
    )[0]
