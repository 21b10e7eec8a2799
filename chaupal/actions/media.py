"""Media attachment writes: upload, update (alt text, focus, thumbnail), attach to a status,
delete, and the cleanup of unattached uploads. Only the uploader ever sees or uses its media."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError, not_found, unprocessable
from chaupal.media import MediaError
from chaupal.media.pipeline import store_thumbnail, store_upload
from chaupal.media.storage import LocalStorage, Storage, media_storage
from chaupal.models import Account, MediaAttachment, Status

VIDEO_KINDS = ("video", "gifv")


@dataclass
class Upload:
    """A file from the client: its bytes (a seekable file), and what the client says it is."""

    file: BinaryIO
    filename: str | None = None
    content_type: str | None = None


def parse_focus(value: Any) -> tuple[float, float]:
    """Mastodon's focus: "x,y", two numbers from -1.0 to 1.0."""
    parts = str(value).split(",") if isinstance(value, (str, int, float)) else []
    try:
        x, y = (float(p) for p in parts)
    except ValueError:
        raise unprocessable('focus must be two numbers "x,y" from -1.0 to 1.0') from None
    if not all(math.isfinite(v) and -1.0 <= v <= 1.0 for v in (x, y)):
        raise unprocessable('focus must be two numbers "x,y" from -1.0 to 1.0')
    return x, y


def check_description(settings: Settings, description: Any) -> str | None:
    if description is None:
        return None
    if not isinstance(description, str):
        raise unprocessable("description must be text")
    if len(description) > settings.max_media_description_chars:
        raise unprocessable(
            f"description is too long (at most {settings.max_media_description_chars} characters)"
        )
    return description or None


def _media_id(value: Any) -> int:
    try:
        mid = int(str(value))
    except (TypeError, ValueError):
        raise not_found() from None
    if mid < 0 or mid >= 2**63:
        raise not_found()
    return mid


async def access_media(
    session: AsyncSession, account: Account, media_id: Any, *, unattached_only: bool = True
) -> MediaAttachment:
    """The caller's own media (by default only while unattached, as Mastodon), else 404."""
    query = select(MediaAttachment).where(
        MediaAttachment.id == _media_id(media_id), MediaAttachment.account_id == account.id
    )
    if unattached_only:
        query = query.where(MediaAttachment.status_id.is_(None))
    media = await session.scalar(query)
    if media is None:
        raise not_found()
    return media


def _refuse(exc: MediaError) -> ApiError:
    return unprocessable(str(exc))


async def check_upload_media(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    upload: Upload,
    *,
    description: Any = None,
    focus: Any = None,
    thumbnail: Upload | None = None,
    storage: Storage | None = None,
) -> MediaAttachment:
    """Validate, process and store an upload; nothing stays in the store when it fails."""
    text = check_description(settings, description)
    point = parse_focus(focus) if focus not in (None, "") else (0.0, 0.0)
    store = storage or media_storage(settings)
    try:
        stored = await asyncio.to_thread(
            store_upload, upload.file, upload.filename, upload.content_type, settings, store
        )
    except MediaError as exc:
        raise _refuse(exc) from None
    keys = stored.keys
    try:
        thumb_key, meta, blurhash = stored.thumbnail_key, stored.meta, stored.blurhash
        if thumbnail is not None:
            thumb = await _store_thumbnail(settings, store, thumbnail)
            keys.append(thumb.key)
            if thumb_key:
                store.delete(thumb_key)
            thumb_key, blurhash = thumb.key, thumb.blurhash
            meta = {**meta, "small": thumb.small}
        media = MediaAttachment(
            account_id=account.id,
            type=stored.type,
            file_path=stored.file_key,
            thumbnail_path=thumb_key,
            content_type=stored.content_type,
            file_size=stored.file_size,
            description=text,
            focus_x=point[0],
            focus_y=point[1],
            meta=meta,
            blurhash=blurhash,
            processing="done",
        )
        session.add(media)
        await session.flush()
    except BaseException:
        for key in keys:
            store.delete(key)
        raise
    return media


async def _store_thumbnail(settings: Settings, store: Storage, upload: Upload) -> Any:
    try:
        return await asyncio.to_thread(
            store_thumbnail, upload.file, upload.filename, upload.content_type, settings, store
        )
    except MediaError as exc:
        raise _refuse(exc) from None


_UNSET: Any = object()


async def check_update_media(
    session: AsyncSession,
    settings: Settings,
    media: MediaAttachment,
    *,
    description: Any = _UNSET,
    focus: Any = None,
    thumbnail: Upload | None = None,
    storage: Storage | None = None,
) -> MediaAttachment:
    """Validate alt text / focus / thumbnail for media the caller got from `access_media`."""
    text = check_description(settings, description) if description is not _UNSET else _UNSET
    point = parse_focus(focus) if focus not in (None, "") else None
    store = storage or media_storage(settings)
    old_thumb: str | None = None
    if thumbnail is not None:
        thumb = await _store_thumbnail(settings, store, thumbnail)
        old_thumb = media.thumbnail_path
        media.thumbnail_path, media.blurhash = thumb.key, thumb.blurhash
        media.meta = {**(media.meta or {}), "small": thumb.small}
    await do_update_media(session, media, description=text, focus=point)
    if old_thumb:
        store.delete(old_thumb)
    return media


async def do_update_media(
    session: AsyncSession,
    media: MediaAttachment,
    *,
    description: Any = _UNSET,
    focus: tuple[float, float] | None = None,
) -> None:
    if description is not _UNSET:
        media.description = description
    if focus is not None:
        media.focus_x, media.focus_y = focus
    await session.flush()


def _check_combination(settings: Settings, media: Sequence[MediaAttachment]) -> None:
    if any(m.type in VIDEO_KINDS for m in media) and len(media) > 1:
        raise unprocessable("Cannot attach a video to a post that already contains images")
    if len(media) > settings.max_media_attachments:
        raise unprocessable(f"Cannot attach more than {settings.max_media_attachments} files")
    if any(m.processing != "done" for m in media):
        raise unprocessable(
            "Cannot attach files that have not finished processing. Try again in a moment!"
        )


def _ids(settings: Settings, media_ids: Sequence[Any]) -> list[int]:
    ids = list(dict.fromkeys(_media_id(v) for v in media_ids))  # unique, in the client's order
    if len(ids) > settings.max_media_attachments:
        raise unprocessable(f"Cannot attach more than {settings.max_media_attachments} files")
    return ids


async def do_attach_media(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    status: Status,
    media_ids: Sequence[Any],
) -> list[MediaAttachment]:
    """Attach the caller's unattached media to `status` in the order given: at most
    `max_media_attachments` images, or one video/gifv; unknown or others' media are 404."""
    ids = _ids(settings, media_ids)
    if not ids:
        return []
    rows = (
        await session.scalars(
            select(MediaAttachment)
            .where(
                MediaAttachment.id.in_(ids),
                MediaAttachment.account_id == account.id,
                MediaAttachment.status_id.is_(None),
            )
            .with_for_update()
        )
    ).all()
    by_id = {m.id: m for m in rows}
    if len(by_id) != len(ids):
        raise not_found()
    ordered = [by_id[i] for i in ids]
    _check_combination(settings, ordered)
    for position, media in enumerate(ordered):
        media.status_id, media.position = status.id, position
    await session.flush()
    return ordered


async def do_set_status_media(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    status: Status,
    media_ids: Sequence[Any],
    media_attributes: Sequence[dict[str, Any]] = (),
) -> list[MediaAttachment]:
    """A status edit: the media become exactly `media_ids` (kept ones, plus the caller's
    unattached uploads); dropped ones are detached (the cleanup removes them later).
    `media_attributes` update alt text and focus of the status's media."""
    ids = _ids(settings, media_ids)
    current = {
        m.id: m
        for m in (
            await session.scalars(
                select(MediaAttachment)
                .where(MediaAttachment.status_id == status.id)
                .with_for_update()
            )
        ).all()
    }
    new_ids = [i for i in ids if i not in current]
    fresh: dict[int, MediaAttachment] = {}
    if new_ids:
        fresh = {
            m.id: m
            for m in (
                await session.scalars(
                    select(MediaAttachment)
                    .where(
                        MediaAttachment.id.in_(new_ids),
                        MediaAttachment.account_id == account.id,
                        MediaAttachment.status_id.is_(None),
                    )
                    .with_for_update()
                )
            ).all()
        }
        if len(fresh) != len(new_ids):
            raise not_found()
    ordered = [current.get(i) or fresh[i] for i in ids]
    _check_combination(settings, ordered)
    updates = []
    for attrs in media_attributes or ():
        if not isinstance(attrs, dict):
            raise unprocessable("media_attributes must be a list of objects")
        target = next((m for m in ordered if m.id == _media_id(attrs.get("id"))), None)
        if target is None:
            raise not_found()
        text = (
            check_description(settings, attrs["description"]) if "description" in attrs else _UNSET
        )
        point = parse_focus(attrs["focus"]) if attrs.get("focus") not in (None, "") else None
        updates.append((target, text, point))
    for mid, media in current.items():
        if mid not in ids:
            media.status_id, media.position = None, 0
    for position, media in enumerate(ordered):
        media.status_id, media.position = status.id, position
    for target, text, point in updates:
        await do_update_media(session, target, description=text, focus=point)
    await session.flush()
    return ordered


async def check_status_media_edit(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    status: Status,
    media_ids: Sequence[Any] | None,
    media_attributes: Sequence[dict[str, Any]] | None,
) -> tuple[bool, bool]:
    """For a status edit: apply `media_ids` / `media_attributes` when given (absent media_ids
    keep the media, as in Mastodon). Returns (media changed, status has media)."""
    current = (
        await session.scalars(
            select(MediaAttachment)
            .where(MediaAttachment.status_id == status.id)
            .order_by(MediaAttachment.position, MediaAttachment.id)
        )
    ).all()
    if media_ids is None and not media_attributes:
        return False, bool(current)
    before = [(m.id, m.description, m.focus_x, m.focus_y) for m in current]
    ids = [m.id for m in current] if media_ids is None else media_ids
    ordered = await do_set_status_media(
        session, settings, account, status, ids, media_attributes or ()
    )
    after = [(m.id, m.description, m.focus_x, m.focus_y) for m in ordered]
    return before != after, bool(ordered)


async def do_delete_media(session: AsyncSession, media: MediaAttachment) -> list[str]:
    """Delete an unattached upload's row; returns the storage keys to delete after commit."""
    keys = [k for k in (media.file_path, media.thumbnail_path) if k]
    await session.delete(media)
    await session.flush()
    return keys


async def do_cleanup_unattached_media(
    session: AsyncSession, settings: Settings, *, now: datetime | None = None, limit: int = 500
) -> tuple[int, list[str]]:
    """Delete up to `limit` unattached media older than the TTL; returns how many, and their
    storage keys to delete once the transaction has committed."""
    cutoff = (now or utcnow()) - timedelta(seconds=settings.media_unattached_ttl_seconds)
    rows = (
        await session.execute(
            select(
                MediaAttachment.id,
                MediaAttachment.account_id,
                MediaAttachment.file_path,
                MediaAttachment.thumbnail_path,
            )
            .where(MediaAttachment.status_id.is_(None), MediaAttachment.created_at < cutoff)
            .order_by(MediaAttachment.id)
            .limit(limit)
        )
    ).all()
    if rows:
        rows = await _not_reserved(session, rows)
    if not rows:
        return 0, []
    await session.execute(
        delete(MediaAttachment).where(
            MediaAttachment.id.in_([r.id for r in rows]), MediaAttachment.status_id.is_(None)
        )
    )
    await session.flush()
    return len(rows), [k for r in rows for k in (r.file_path, r.thumbnail_path) if k]


async def _not_reserved(session: AsyncSession, rows: Sequence[Any]) -> list[Any]:
    """Drop media a scheduled status or approval draft will attach when it is published."""
    from chaupal.models import ScheduledStatus

    reserved = {
        int(m)
        for ids in (
            await session.scalars(
                select(ScheduledStatus.media_ids).where(
                    ScheduledStatus.account_id.in_({r.account_id for r in rows}),
                    ScheduledStatus.state.in_(("scheduled", "pending_approval")),
                )
            )
        ).all()
        for m in ids or []
    }
    return [r for r in rows if r.id not in reserved]


async def _orphans(session: AsyncSession, keys: list[str]) -> list[str]:
    used = set()
    for a, b in (
        await session.execute(
            select(MediaAttachment.file_path, MediaAttachment.thumbnail_path).where(
                or_(MediaAttachment.file_path.in_(keys), MediaAttachment.thumbnail_path.in_(keys))
            )
        )
    ).all():
        used.update((a, b))
    for a, b in (  # cached avatars/headers of remote accounts live in the same store
        await session.execute(
            select(Account.avatar_path, Account.header_path).where(
                or_(Account.avatar_path.in_(keys), Account.header_path.in_(keys))
            )
        )
    ).all():
        used.update((a, b))
    return [k for k in keys if k not in used]


async def cleanup_unattached_media(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    storage: Storage | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """The cleanup entry point (CLI, later the job runner): each batch commits, then its files
    go. Then files older than the TTL that no row names (left by a failed commit) go too."""
    store = storage or media_storage(settings)
    removed = files = 0
    while True:
        async with sessions() as session:
            count, keys = await do_cleanup_unattached_media(session, settings, now=now)
            await session.commit()
        if not count:
            break
        removed += count
        for key in keys:
            await asyncio.to_thread(store.delete, key)
            files += 1
    orphans = 0
    if isinstance(store, LocalStorage):
        reference = (
            now.timestamp() if now else time.time()
        ) - settings.media_unattached_ttl_seconds
        batch: list[str] = []
        for key in await asyncio.to_thread(lambda: list(store.iter_keys(reference))):
            batch.append(key)
            if len(batch) >= 500:
                orphans += await _drop_orphans(sessions, store, batch)
                batch = []
        if batch:
            orphans += await _drop_orphans(sessions, store, batch)
    return {"media": removed, "files": files, "orphans": orphans}


async def _drop_orphans(
    sessions: async_sessionmaker[AsyncSession], store: Storage, keys: list[str]
) -> int:
    async with sessions() as session:
        gone = await _orphans(session, keys)
    for key in gone:
        await asyncio.to_thread(store.delete, key)
    return len(gone)
