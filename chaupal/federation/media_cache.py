"""Remote media cached through the same safe pipeline as uploads (issue 7): the durable job
`ap_cache_media` downloads a remote attachment, avatar or header (`media_fetch`), sniffs its
type from the bytes, decodes and re-encodes it (pixel limits, metadata stripped, preview,
blurhash) and stores it under a fresh key. Until then, or when it fails or the domain's media
are rejected, clients get the remote URL."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.federation.fetch import FetchError
from chaupal.federation.hosts import InvalidHost, normalize_host
from chaupal.federation.media_fetch import download
from chaupal.federation.policy import domain_policy
from chaupal.jobs import JobFailed, enqueue, job_handler, network_phase
from chaupal.media import MediaError
from chaupal.media.images import process_image
from chaupal.media.pipeline import StoredUpload, put_all, store_upload
from chaupal.media.sniff import IMAGE_TYPES, VIDEO_TYPES
from chaupal.media.storage import Storage, media_storage, new_key
from chaupal.models import Account, MediaAttachment

log = logging.getLogger(__name__)

KIND = "ap_cache_media"
PROFILE_PARTS = ("avatar", "header")
# Attachment types the pipeline can take; audio and the like stay links to the remote file.
_CACHEABLE = ("image", "gifv", "video", "unknown")


async def enqueue_remote_media(
    session: AsyncSession, settings: Settings, media_ids: Iterable[int]
) -> None:
    """Queue the caching of remote attachments, in the caller's transaction (no network here).
    One job per attachment, so each file is retried on its own."""
    if not _caching(settings):
        return
    for media_id in dict.fromkeys(media_ids):
        await enqueue(
            session, KIND, {"media_id": str(media_id)}, dedupe_key=f"{KIND}:media:{media_id}"
        )


async def set_remote_profile_images(
    session: AsyncSession, account: Account, avatar_url: str | None, header_url: str | None
) -> None:
    """Record a remote actor's `icon` / `image` URLs (from a fetched actor or an
    Update(Person)); a changed URL drops the old cached copy (the orphan sweep removes its file)
    and queues a new one (the job does nothing when caching is off). Call inside the write's
    transaction, once the account has its id."""
    if account.local:
        return
    for part, url in (("avatar", avatar_url), ("header", header_url)):
        url = url[:1024] if url else None
        if getattr(account, f"{part}_remote_url") == url:
            continue
        setattr(account, f"{part}_remote_url", url)
        setattr(account, f"{part}_path", None)
        if url:
            await enqueue(
                session,
                KIND,
                {"account_id": str(account.id), "part": part},
                dedupe_key=f"{KIND}:{part}:{account.id}",
            )
    await session.flush()


def _caching(settings: Settings) -> bool:
    return settings.federation_enabled and settings.federation_cache_remote_media


@job_handler(KIND)
async def cache_media(session: AsyncSession, settings: Settings, payload: dict[str, Any]) -> None:
    """Cache one remote file. Refusals that a retry cannot change (private address, not an
    image or video by its bytes, too large, a 4xx answer) end the job as failed at once;
    network errors and 5xx answers are retried by the runner with backoff."""
    if not _caching(settings):
        return
    if "media_id" in payload:
        await _cache_attachment(session, settings, int(payload["media_id"]))
    elif payload.get("part") in PROFILE_PARTS:
        await _cache_profile_image(session, settings, int(payload["account_id"]), payload["part"])


async def media_rejected(session: AsyncSession, settings: Settings, domain: str, url: str) -> bool:
    """True when the account's domain or the file's host may not put files on our disk
    (a DomainBlock with reject_media, a suspended or, in allow-list mode, unlisted domain)."""
    try:
        hosts = {domain, normalize_host(url)} - {""}
    except (InvalidHost, ValueError):
        return True
    for host in hosts:
        policy = await domain_policy(session, settings, host)
        if not policy.allowed or policy.reject_media:
            return True
    return False


async def _cache_attachment(session: AsyncSession, settings: Settings, media_id: int) -> None:
    media = await session.get(MediaAttachment, media_id)
    if media is None or not media.remote_url or media.file_path or media.type not in _CACHEABLE:
        return
    account = await session.get(Account, media.account_id)
    if account is None or account.local or account.suspended_at is not None:
        return
    url = media.remote_url
    if await media_rejected(session, settings, account.domain, url):
        return
    store = media_storage(settings)
    async with network_phase(session):  # the download does not hold up the app's writes
        stored = await _fetch(settings, url, _attachment_limit(settings), store, _store_attachment)
    result = await session.execute(
        update(MediaAttachment)
        .where(
            MediaAttachment.id == media_id,
            MediaAttachment.remote_url == url,
            MediaAttachment.file_path.is_(None),
        )
        .values(
            type=stored.type,
            content_type=stored.content_type,
            file_path=stored.file_key,
            thumbnail_path=stored.thumbnail_key,
            file_size=stored.file_size,
            blurhash=stored.blurhash,
            meta=stored.meta,
            processing="done",
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # gone or changed meanwhile
        await _discard(store, stored.keys)


async def _cache_profile_image(
    session: AsyncSession, settings: Settings, account_id: int, part: str
) -> None:
    account = await session.get(Account, account_id)
    if account is None or account.local or account.suspended_at is not None:
        return
    url = getattr(account, f"{part}_remote_url")
    if not url or getattr(account, f"{part}_path"):
        return
    if await media_rejected(session, settings, account.domain, url):
        return
    limit = settings.max_avatar_bytes if part == "avatar" else settings.max_header_bytes
    store = media_storage(settings)
    async with network_phase(session):
        stored = await _fetch(
            settings, url, lambda kind: limit if kind in IMAGE_TYPES else None, store, _store_image
        )
    column = getattr(Account, f"{part}_path")
    result = await session.execute(
        update(Account)
        .where(
            Account.id == account_id,
            getattr(Account, f"{part}_remote_url") == url,
            column.is_(None),
        )
        .values({column: stored.file_key})
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await _discard(store, stored.keys)
        return
    setattr(account, f"{part}_path", stored.file_key)  # keep the loaded row in step


def _attachment_limit(settings: Settings) -> Callable[[str], int | None]:
    def limit_for(kind: str) -> int | None:
        if kind in IMAGE_TYPES:
            return settings.max_image_bytes
        if kind in VIDEO_TYPES:
            return settings.max_video_bytes
        return None

    return limit_for


async def _fetch(
    settings: Settings,
    url: str,
    limit_for: Callable[[str], int | None],
    store: Storage,
    process: Callable[[BinaryIO, str, Settings, Storage], StoredUpload],
) -> StoredUpload:
    """Download `url` into a temporary file, then run `process` (blocking, in a thread)."""
    base = settings.data_dir / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=base, prefix="remote-media-") as sink:
        try:
            kind = await download(settings, url, sink, limit_for)
        except FetchError as exc:
            if exc.permanent:
                raise JobFailed(str(exc)) from None
            raise
        try:
            stored: StoredUpload = await asyncio.to_thread(process, sink, kind, settings, store)
        except MediaError as exc:
            raise JobFailed(f"{url}: {exc}") from None
    return stored


def _store_attachment(
    sink: BinaryIO, kind: str, settings: Settings, store: Storage
) -> StoredUpload:
    """The upload pipeline itself: it sniffs the bytes again and claims no type or name."""
    return store_upload(sink, None, None, settings, store)


def _store_image(sink: BinaryIO, kind: str, settings: Settings, store: Storage) -> StoredUpload:
    """An avatar or header: decoded and re-encoded like an image upload; only the (downscaled,
    metadata-free) image is kept, never a video."""
    sink.seek(0)
    image = process_image(sink.read(settings.max_image_bytes + 1), kind, settings)
    key = new_key(image.ext)
    put_all(store, [(key, image.original)])
    return StoredUpload(
        "image", image.content_type, key, None, len(image.original), image.blurhash, image.meta
    )


async def _discard(store: Storage, keys: list[str]) -> None:
    for key in keys:
        await asyncio.to_thread(store.delete, key)
