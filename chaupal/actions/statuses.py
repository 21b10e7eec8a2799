"""Posting, editing and deleting statuses: validation, mentions and hashtags, counters,
notifications and Idempotency-Key. Routes, the CLI and the demo loader all call these."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import access_status
from chaupal.actions import audit
from chaupal.actions.counters import bump
from chaupal.actions.media import check_status_media_edit, do_attach_media
from chaupal.actions.notifications import do_notify, do_unnotify
from chaupal.actions.status_text import (
    check_text,
    check_visibility,
    clean_language,
    get_or_create_tags,
    resolve_mentions,
)
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError, not_found
from chaupal.events import publish_on_commit
from chaupal.federation import hooks
from chaupal.feeds.fanout import queue_fanout, queue_feed_delete
from chaupal.insights.monitor import do_label_status
from chaupal.lib.ids import new_id
from chaupal.lib.text import render_html
from chaupal.models import (
    Account,
    Bookmark,
    Favourite,
    IdempotencyKey,
    Mention,
    Notification,
    Status,
    StatusEdit,
    StatusPin,
    StatusTag,
    User,
)
from chaupal.models.statuses import VISIBILITIES

COUNTED = ("public", "unlisted", "private")  # direct posts do not count, as in Mastodon
DISTRIBUTED = ("public", "unlisted")  # only these count as replies on the parent


async def _find_idempotent(
    session: AsyncSession, settings: Settings, account_id: int, key: str
) -> Status | None:
    row = await session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.account_id == account_id, IdempotencyKey.key == key
        )
    )
    if row is None:
        return None
    if row.created_at < utcnow() - timedelta(seconds=settings.idempotency_ttl_seconds):
        await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row.id))
        await session.flush()
        return None
    return await session.get(Status, row.status_id)


async def check_create_status(
    session: AsyncSession,
    settings: Settings,
    author: Account,
    *,
    text: str,
    visibility: str | None = None,
    spoiler_text: str = "",
    sensitive: bool | None = False,
    language: str | None = None,
    in_reply_to_id: int | None = None,
    application_id: int | None = None,
    idempotency_key: str | None = None,
    created_at: datetime | None = None,
    media_ids: Sequence[Any] | None = None,
    user: User | None = None,
) -> Status:
    """Validate and post a status. `sensitive=None` means the author's default; a spoiler
    always makes the post sensitive. The same Idempotency-Key returns the first status.
    `media_ids`: the author's unattached uploads, attached in this order (text may be blank).
    `user`: the author's User row if the caller has it already (saves a query)."""
    key = (idempotency_key or "").strip()[:255] or None
    if key:
        earlier = await _find_idempotent(session, settings, author.id, key)
        if earlier is not None:
            return earlier
    visibility = check_visibility(visibility)
    body, spoiler, parsed = check_text(settings, text, spoiler_text, allow_blank=bool(media_ids))
    if user is None or user.account_id != author.id:
        user = await session.scalar(select(User).where(User.account_id == author.id))
    if visibility is None:
        visibility = (
            user.default_visibility
            if user and user.default_visibility in VISIBILITIES
            else "public"
        )
    if sensitive is None:
        sensitive = bool(user and user.default_sensitive)
    lang = clean_language(language) or (user.default_language if user else None)

    parent: Status | None = None
    if in_reply_to_id is not None:
        parent = await access_status(session, author.id, in_reply_to_id)
        if parent.reblog_of_id:
            parent = await access_status(session, author.id, parent.reblog_of_id)

    mentioned, urls = await resolve_mentions(session, settings, author, parsed)
    tags = await get_or_create_tags(session, parsed.tags)
    when = created_at or utcnow()
    sid = new_id(created_at) if created_at else new_id()
    status = Status(
        id=sid,
        account_id=author.id,
        uri=f"{settings.base_url}/users/{author.username}/statuses/{sid}",
        url=f"{settings.base_url}/@{author.username}/{sid}",
        text=body,
        content=render_html(parsed, base_url=settings.base_url, mention_url=urls),
        spoiler_text=spoiler,
        sensitive=bool(sensitive) or bool(spoiler),
        visibility=visibility,
        language=lang,
        in_reply_to_id=parent.id if parent else None,
        in_reply_to_account_id=parent.account_id if parent else None,
        conversation_id=(parent.conversation_id or parent.id) if parent else sid,
        application_id=application_id,
        local=True,
        created_at=when,
    )
    session.add(status)
    await session.flush()
    session.add_all([Mention(status_id=sid, account_id=a.id) for a in mentioned])
    session.add_all([StatusTag(status_id=sid, tag_id=t.id) for t in tags])
    await session.flush()
    if media_ids:
        await do_attach_media(session, settings, author, status, media_ids)

    if visibility in COUNTED:
        last = author.last_status_at
        await bump(
            session,
            Account,
            author.id,
            statuses_count=1,
            **({"last_status_at": when} if last is None or last < when else {}),
        )
    if parent is not None and visibility in DISTRIBUTED:
        await bump(session, Status, parent.id, replies_count=1)
    for account in mentioned:
        await do_notify(
            session,
            recipient_id=account.id,
            from_account_id=author.id,
            type="mention",
            status_id=sid,
        )

    if key:
        try:
            async with session.begin_nested():
                session.add(IdempotencyKey(account_id=author.id, key=key, status_id=sid))
                await session.flush()
        except IntegrityError:
            raise ApiError(
                409, "Another request with this Idempotency-Key is in progress"
            ) from None
    audit.record(
        session, author.id, "status.reply" if parent is not None else "status.create", "status", sid,
        text=audit.excerpt(body), visibility=visibility,
        **({"in_reply_to_id": str(parent.id)} if parent is not None else {}),
    )
    await do_label_status(session, status)  # sentiment for the reaction monitor
    await queue_fanout(session, settings, status)  # Redis home feeds (no-op on the SQL backend)
    await hooks.status_created(session, settings, status)  # Create to remote followers/mentions
    publish_on_commit(
        session,
        {"type": "status.created", "status_id": str(sid), "account_id": str(author.id),
         "visibility": visibility},
    )
    return status


async def check_edit_status(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    status: Status,
    *,
    text: str,
    spoiler_text: str = "",
    sensitive: bool | None = None,
    language: str | None = None,
    media_ids: Sequence[Any] | None = None,
    media_attributes: Sequence[dict[str, Any]] | None = None,
) -> Status:
    """Edit the author's own status, keeping the history (the first edit also stores the
    original). An edit that changes nothing is a no-op, as in Mastodon. `media_ids` (None:
    unchanged) and `media_attributes` (alt text, focus) edit its media."""
    if status.account_id != account.id or status.reblog_of_id is not None:
        raise not_found()
    media_changed, has_media = await check_status_media_edit(
        session, settings, account, status, media_ids, media_attributes
    )
    body, spoiler, parsed = check_text(settings, text, spoiler_text, allow_blank=has_media)
    new_sensitive = (status.sensitive if sensitive is None else bool(sensitive)) or bool(spoiler)
    new_language = clean_language(language) or status.language
    if (body, spoiler, new_sensitive, new_language) == (
        status.text,
        status.spoiler_text,
        status.sensitive,
        status.language,
    ) and not media_changed:
        return status

    has_history = await session.scalar(
        select(StatusEdit.id).where(StatusEdit.status_id == status.id).limit(1)
    )
    if has_history is None:
        session.add(
            StatusEdit(
                id=new_id(status.created_at),
                status_id=status.id,
                account_id=account.id,
                text=status.text,
                content=status.content,
                spoiler_text=status.spoiler_text,
                sensitive=status.sensitive,
                created_at=status.created_at,
            )
        )
    mentioned, urls = await resolve_mentions(session, settings, account, parsed)
    tags = await get_or_create_tags(session, parsed.tags)
    now = utcnow()
    status.text = body
    status.content = render_html(parsed, base_url=settings.base_url, mention_url=urls)
    status.spoiler_text = spoiler
    status.sensitive = new_sensitive
    status.language = new_language
    status.edited_at = now
    session.add(
        StatusEdit(
            status_id=status.id,
            account_id=account.id,
            text=body,
            content=status.content,
            spoiler_text=spoiler,
            sensitive=new_sensitive,
            created_at=now,
        )
    )

    old_mentions = set(
        (
            await session.scalars(select(Mention.account_id).where(Mention.status_id == status.id))
        ).all()
    )
    new_mentions = {a.id for a in mentioned}
    if old_mentions - new_mentions:
        await session.execute(
            delete(Mention).where(
                Mention.status_id == status.id, Mention.account_id.in_(old_mentions - new_mentions)
            )
        )
    session.add_all(
        [Mention(status_id=status.id, account_id=a) for a in new_mentions - old_mentions]
    )
    await session.execute(delete(StatusTag).where(StatusTag.status_id == status.id))
    session.add_all([StatusTag(status_id=status.id, tag_id=t.id) for t in tags])
    audit.record(session, account.id, "status.edit", "status", status.id, text=audit.excerpt(body))
    await session.flush()
    await do_label_status(session, status)  # re-label the edited text

    for account_id in new_mentions - old_mentions:
        await do_notify(
            session,
            recipient_id=account_id,
            from_account_id=account.id,
            type="mention",
            status_id=status.id,
        )
    rebloggers = set(
        (
            await session.scalars(select(Status.account_id).where(Status.reblog_of_id == status.id))
        ).all()
    )
    for account_id in sorted(rebloggers | (old_mentions & new_mentions)):
        await do_notify(
            session,
            recipient_id=account_id,
            from_account_id=account.id,
            type="update",
            status_id=status.id,
        )
    await hooks.status_edited(session, settings, status)  # Update to remote followers/mentions
    publish_on_commit(
        session,
        {"type": "status.updated", "status_id": str(status.id), "account_id": str(account.id),
         "visibility": status.visibility},
    )
    return status


async def do_delete_status(session: AsyncSession, status: Status, *, settings: Settings | None = None) -> None:
    """Remove a status with its reblogs and everything hanging off them, and fix the counters.
    With `settings` (a local user's own action) remote audiences get Delete / Undo(Announce)."""
    await hooks.status_deleted(session, settings, status)
    if status.reblog_of_id is not None:
        audit.record(session, status.account_id, "reblog.delete", "status", status.reblog_of_id)
    else:
        audit.record(session, status.account_id, "status.delete", "status", status.id,
                     text=audit.excerpt(status.text))
    reblogs = (await session.scalars(select(Status).where(Status.reblog_of_id == status.id))).all()
    await queue_feed_delete(session, [*reblogs, status])
    for reblog in reblogs:
        await _remove(session, reblog)
    await _remove(session, status)


async def _remove(session: AsyncSession, status: Status) -> None:
    sid = status.id
    publish_on_commit(
        session,
        {"type": "status.deleted", "status_id": str(sid), "account_id": str(status.account_id),
         "visibility": status.visibility},
    )
    if status.visibility in COUNTED:
        await bump(session, Account, status.account_id, statuses_count=-1)
    if status.reblog_of_id is not None:
        await bump(session, Status, status.reblog_of_id, reblogs_count=-1)
        original = await session.get(Status, status.reblog_of_id)
        if original is not None:
            await do_unnotify(
                session,
                recipient_id=original.account_id,
                from_account_id=status.account_id,
                type="reblog",
                status_id=original.id,
            )
    if status.in_reply_to_id is not None and status.visibility in DISTRIBUTED:
        await bump(session, Status, status.in_reply_to_id, replies_count=-1)
    for model in (
        Notification,
        Favourite,
        Bookmark,
        StatusPin,
        Mention,
        StatusTag,
        StatusEdit,
        IdempotencyKey,
    ):
        await session.execute(delete(model).where(model.status_id == sid))
    await session.execute(
        update(Status)
        .where(Status.in_reply_to_id == sid)
        .values(in_reply_to_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(Status).where(Status.id == sid).execution_options(synchronize_session=False)
    )
    if status in session:
        session.expunge(status)
    await session.flush()


__all__ = [
    "check_create_status",
    "check_edit_status",
    "check_text",
    "check_visibility",
    "clean_language",
    "do_delete_status",
    "get_or_create_tags",
    "resolve_mentions",
]
