"""Remote statuses (issue 7): a Note that arrived (Create, Announce of an unknown object, a
fetch by URL) stored as a non-local status with its mentions, tags and attachments; edits
with history; deletes that leave a tombstone so a late Create never brings the post back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions.counters import bump
from chaupal.actions.notifications import do_notify
from chaupal.actions.status_text import get_or_create_tags
from chaupal.actions.statuses import COUNTED, DISTRIBUTED, do_delete_status
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.events import publish_on_commit
from chaupal.federation.media_cache import enqueue_remote_media
from chaupal.federation.notes import NoteData, parse_note, parse_time
from chaupal.federation.remote import find_account, is_tombstoned
from chaupal.feeds.fanout import queue_fanout
from chaupal.insights.monitor import do_label_status
from chaupal.lib.ids import new_id
from chaupal.models import (
    Account,
    MediaAttachment,
    Mention,
    Status,
    StatusEdit,
    StatusTag,
    Tombstone,
)


async def _mentioned(
    session: AsyncSession, settings: Settings, data: NoteData
) -> list[Account]:
    """Accounts we know among the Note's mentions (and, for non-public posts, its addressees:
    a direct message names its recipients only in `to`)."""
    wanted = list(data.mention_uris)
    if data.visibility in ("private", "direct"):
        wanted += [a for a in data.addressed if a not in wanted]
    found: list[Account] = []
    for uri in wanted[:100]:
        account = await find_account(session, settings, uri)
        if account is not None and account not in found:
            found.append(account)
    return found


def _media_rows(author: Account, status_id: int, data: NoteData) -> list[MediaAttachment]:
    return [
        MediaAttachment(
            account_id=author.id,
            status_id=status_id,
            position=i,
            type=a.type,
            content_type=a.content_type,
            description=a.description,
            blurhash=a.blurhash,
            meta=a.meta,
            remote_url=a.url,
            processing="remote",  # not downloaded: clients get the remote URL
        )
        for i, a in enumerate(data.attachments)
    ]


async def lock_uri(session: AsyncSession, uri: str) -> None:
    """PostgreSQL: serialise the Create and the Delete of one object URI until commit (an
    advisory transaction lock on its hash), so a Delete racing its Create cannot let both win.
    SQLite has a single writer already."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(uri, 0))))


async def do_create_remote_status(
    session: AsyncSession, settings: Settings, author: Account, note: dict[str, Any]
) -> Status | None:
    """Store a checked Note by `author` (see `remote.check_note`) once: a second delivery, a
    concurrent twin or a tombstoned URI changes nothing. Returns the status, or None when the
    URI was deleted. Notifies mentioned local accounts and reaches local followers' home feeds
    like a local post."""
    uri = note["id"]
    await lock_uri(session, uri)
    existing = await session.scalar(select(Status).where(Status.uri == uri))
    if existing is not None:
        return existing
    if await is_tombstoned(session, uri):
        return None
    data = parse_note(settings, note, author.followers_url)
    parent = None
    if data.in_reply_to:
        parent = await session.scalar(select(Status).where(Status.uri == data.in_reply_to))
    mentioned = await _mentioned(session, settings, data)
    sid = new_id(data.created_at)
    status = Status(
        id=sid,
        account_id=author.id,
        uri=uri,
        url=data.url,
        text=data.text,
        content=data.content,
        spoiler_text=data.spoiler_text,
        sensitive=data.sensitive,
        visibility=data.visibility,
        language=data.language,
        in_reply_to_id=parent.id if parent else None,
        in_reply_to_account_id=parent.account_id if parent else None,
        conversation_id=(parent.conversation_id or parent.id) if parent else sid,
        local=False,
        created_at=data.created_at,
    )
    try:
        async with session.begin_nested():
            session.add(status)
            await session.flush()
    except IntegrityError:  # the same Note stored by a concurrent delivery
        return await session.scalar(select(Status).where(Status.uri == uri))
    session.add_all([Mention(status_id=sid, account_id=a.id) for a in mentioned])
    tags = await get_or_create_tags(session, data.tags)
    session.add_all([StatusTag(status_id=sid, tag_id=t.id) for t in tags])
    session.add_all(media := _media_rows(author, sid, data))
    await session.flush()
    await enqueue_remote_media(session, settings, [m.id for m in media])
    if data.visibility in COUNTED:
        last = author.last_status_at
        await bump(
            session, Account, author.id, statuses_count=1,
            **({"last_status_at": data.created_at} if last is None or last < data.created_at else {}),
        )
    if parent is not None and data.visibility in DISTRIBUTED:
        await bump(session, Status, parent.id, replies_count=1)
    for account in mentioned:
        if account.local:
            await do_notify(
                session, recipient_id=account.id, from_account_id=author.id, type="mention",
                status_id=sid,
            )
    await do_label_status(session, status)  # replies from other servers count in the monitor
    await queue_fanout(session, settings, status)
    publish_on_commit(
        session,
        {"type": "status.created", "status_id": str(sid), "account_id": str(author.id),
         "visibility": data.visibility},
    )
    return status


async def do_edit_remote_status(
    session: AsyncSession, settings: Settings, status: Status, note: dict[str, Any]
) -> Status:
    """Apply an `Update(Note)` from the status's author, keeping the history as local edits
    do (the first edit also stores the original). Visibility never changes, as in Mastodon."""
    author = await session.get(Account, status.account_id)
    data = parse_note(settings, note, author.followers_url if author else None)
    if (data.content, data.spoiler_text, data.sensitive) == (
        status.content, status.spoiler_text, status.sensitive
    ) and [a.url for a in data.attachments] == await _media_urls(session, status.id):
        return status
    has_history = await session.scalar(
        select(StatusEdit.id).where(StatusEdit.status_id == status.id).limit(1)
    )
    if has_history is None:
        session.add(
            StatusEdit(
                id=new_id(status.created_at), status_id=status.id, account_id=status.account_id,
                text=status.text, content=status.content, spoiler_text=status.spoiler_text,
                sensitive=status.sensitive, created_at=status.created_at,
            )
        )
    edited_at = parse_time(note.get("updated")) or utcnow()
    edited_at = min(max(edited_at, status.created_at), utcnow())
    status.text, status.content = data.text, data.content
    status.spoiler_text, status.sensitive = data.spoiler_text, data.sensitive
    status.language = data.language or status.language
    status.edited_at = edited_at
    session.add(
        StatusEdit(
            status_id=status.id, account_id=status.account_id, text=data.text,
            content=data.content, spoiler_text=data.spoiler_text, sensitive=data.sensitive,
            created_at=edited_at,
        )
    )
    if [a.url for a in data.attachments] != await _media_urls(session, status.id):
        await session.execute(delete(MediaAttachment).where(MediaAttachment.status_id == status.id))
        if author is not None:
            session.add_all(media := _media_rows(author, status.id, data))
            await session.flush()
            await enqueue_remote_media(session, settings, [m.id for m in media])
    mentioned = await _mentioned(session, settings, data)
    old = set(
        (await session.scalars(select(Mention.account_id).where(Mention.status_id == status.id))).all()
    )
    new = {a.id for a in mentioned}
    if old - new:
        await session.execute(
            delete(Mention).where(Mention.status_id == status.id, Mention.account_id.in_(old - new))
        )
    session.add_all([Mention(status_id=status.id, account_id=a) for a in new - old])
    tags = await get_or_create_tags(session, data.tags)
    await session.execute(delete(StatusTag).where(StatusTag.status_id == status.id))
    session.add_all([StatusTag(status_id=status.id, tag_id=t.id) for t in tags])
    await session.flush()
    await do_label_status(session, status)
    for account in mentioned:
        if account.local and account.id not in old:
            await do_notify(
                session, recipient_id=account.id, from_account_id=status.account_id,
                type="mention", status_id=status.id,
            )
    rebloggers = set(
        (await session.scalars(select(Status.account_id).where(Status.reblog_of_id == status.id))).all()
    )
    for account_id in sorted(rebloggers | (old & new)):
        await do_notify(
            session, recipient_id=account_id, from_account_id=status.account_id, type="update",
            status_id=status.id,
        )
    publish_on_commit(
        session,
        {"type": "status.updated", "status_id": str(status.id),
         "account_id": str(status.account_id), "visibility": status.visibility},
    )
    return status


async def _media_urls(session: AsyncSession, status_id: int) -> list[str | None]:
    return list(
        (
            await session.scalars(
                select(MediaAttachment.remote_url)
                .where(MediaAttachment.status_id == status_id)
                .order_by(MediaAttachment.position)
            )
        ).all()
    )


async def do_add_tombstone(session: AsyncSession, uri: str, account_id: int | None) -> None:
    """Remember that `uri` was deleted (idempotent; concurrent twins are fine). A remote post
    with this URI that a concurrent Create stored meanwhile is deleted too."""
    await lock_uri(session, uri)
    if not await is_tombstoned(session, uri):
        try:
            async with session.begin_nested():
                session.add(Tombstone(uri=uri[:1024], account_id=account_id))
                await session.flush()
        except IntegrityError:
            pass
    late = await session.scalar(select(Status).where(Status.uri == uri, Status.local.is_(False)))
    if late is not None and (account_id is None or late.account_id == account_id):
        await do_delete_status(session, late)


async def do_delete_remote_status(session: AsyncSession, status: Status) -> None:
    """A remote author deleted its post: remove it (with reblogs, counters, notifications) and
    leave a tombstone so no later delivery or fetch stores it again."""
    uri, account_id, remote = status.uri, status.account_id, not status.local
    await do_delete_status(session, status)
    if uri and remote:
        await do_add_tombstone(session, uri, account_id)


async def do_create_remote_reblog(
    session: AsyncSession,
    settings: Settings,
    author: Account,
    original: Status,
    *,
    uri: str,
    visibility: str,
    created_at: Any = None,
) -> Status | None:
    """A remote account's Announce of `original` (once per account and post, whatever the
    number of deliveries). Notifies a local author; reaches local followers' home feeds."""
    find = select(Status).where(
        Status.account_id == author.id, Status.reblog_of_id == original.id
    )
    existing = await session.scalar(find)
    if existing is not None:
        return existing
    if original.visibility not in ("public", "unlisted") or await is_tombstoned(session, uri):
        return None
    when = min(created_at or utcnow(), utcnow())
    reblog = Status(
        id=new_id(when),
        account_id=author.id,
        reblog_of_id=original.id,
        uri=uri[:1024],
        url=None,
        visibility=visibility if visibility in ("public", "unlisted", "private") else "public",
        conversation_id=original.conversation_id,
        local=False,
        created_at=when,
    )
    try:
        async with session.begin_nested():
            session.add(reblog)
            await session.flush()
    except IntegrityError:
        return await session.scalar(find)
    await bump(session, Account, author.id, statuses_count=1)
    await bump(session, Status, original.id, reblogs_count=1)
    original_author = await session.get(Account, original.account_id)
    if original_author is not None and original_author.local:
        await do_notify(
            session, recipient_id=original.account_id, from_account_id=author.id, type="reblog",
            status_id=original.id,
        )
    await queue_fanout(session, settings, reblog)
    publish_on_commit(
        session,
        {"type": "status.reblogged", "status_id": str(reblog.id), "account_id": str(author.id),
         "visibility": reblog.visibility},
    )
    return reblog
