"""One upload from the client's file to stored files: detect the real type, process it (image or
video), and put the results in the store under fresh random keys. Blocking; callers run it in a
worker thread. Nothing is left in the store when it raises."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from chaupal.config import Settings
from chaupal.media import MediaError
from chaupal.media.images import (
    ProcessedImage,
    load_checked,
    open_checked,
    orient,
    preview_and_blurhash,
    process_image,
)
from chaupal.media.sniff import IMAGE_TYPES, detect, sniff
from chaupal.media.storage import Storage, new_key
from chaupal.media.video import ProcessedVideo, gif_to_gifv, process_video


@dataclass
class StoredUpload:
    type: str  # image | gifv | video
    content_type: str
    file_key: str
    thumbnail_key: str | None
    file_size: int
    blurhash: str | None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        return [k for k in (self.file_key, self.thumbnail_key) if k]


@dataclass
class StoredThumbnail:
    key: str
    small: dict[str, Any]
    blurhash: str | None


def _size(fileobj: BinaryIO) -> int:
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


@contextmanager
def _workdir(settings: Settings) -> Iterator[Path]:
    base = settings.data_dir / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base, prefix="media-") as tmp:
        yield Path(tmp)


def put_all(storage: Storage, items: list[tuple[str, bytes | BinaryIO]]) -> None:
    """Put every item, or none: a failure removes what was already written."""
    done: list[str] = []
    try:
        for key, data in items:
            storage.put(key, data)
            done.append(key)
    except BaseException:
        for key in done:
            storage.delete(key)
        raise


def _store_image(result: ProcessedImage, storage: Storage) -> StoredUpload:
    key, thumb = new_key(result.ext), new_key(result.preview_ext)
    put_all(storage, [(key, result.original), (thumb, result.preview)])
    return StoredUpload(
        "image", result.content_type, key, thumb, len(result.original), result.blurhash, result.meta
    )


def _store_video(result: ProcessedVideo, kind: str, storage: Storage) -> StoredUpload:
    key = new_key(result.ext)
    thumb = new_key(result.preview_ext) if result.preview and result.preview_ext else None
    size = result.path.stat().st_size
    with result.path.open("rb") as f:
        items: list[tuple[str, bytes | BinaryIO]] = [(key, f)]
        if thumb and result.preview:
            items.append((thumb, result.preview))
        put_all(storage, items)
    return StoredUpload(kind, result.content_type, key, thumb, size, result.blurhash, result.meta)


def store_upload(
    fileobj: BinaryIO,
    filename: str | None,
    content_type: str | None,
    settings: Settings,
    storage: Storage,
) -> StoredUpload:
    fileobj.seek(0)
    head = fileobj.read(64)
    if not head:
        raise MediaError("File is empty")
    real = detect(head, filename, content_type)
    size = _size(fileobj)
    if real in IMAGE_TYPES:
        if size > settings.max_image_bytes:
            raise MediaError(
                f"File is too large (images may be at most {settings.max_image_bytes} bytes)"
            )
        data = fileobj.read(settings.max_image_bytes + 1)
        image = process_image(data, real, settings)
        if image.animated and real == "image/gif":
            with _workdir(settings) as work:
                try:
                    video = gif_to_gifv(image.original, work, settings)
                except MediaError:
                    video = None  # conversion failed: the GIF stays an image
                if video is not None:
                    return _store_video(video, "gifv", storage)
        return _store_image(image, storage)
    if size > settings.max_video_bytes:
        raise MediaError(
            f"File is too large (videos may be at most {settings.max_video_bytes} bytes)"
        )
    with _workdir(settings) as work:
        src = work / "upload"
        with src.open("wb") as out:
            shutil.copyfileobj(fileobj, out, 1024 * 1024)
        return _store_video(process_video(src, real, work, settings), "video", storage)


def store_thumbnail(
    fileobj: BinaryIO,
    filename: str | None,
    content_type: str | None,
    settings: Settings,
    storage: Storage,
) -> StoredThumbnail:
    """A client-chosen preview image (Mastodon's `thumbnail` parameter)."""
    fileobj.seek(0)
    head = fileobj.read(64)
    real = sniff(head)
    if real not in IMAGE_TYPES:
        raise MediaError("Thumbnail must be a JPEG, PNG, WebP or GIF image")
    detect(head, filename, content_type)
    if _size(fileobj) > settings.max_image_bytes:
        raise MediaError(f"Thumbnail is too large (at most {settings.max_image_bytes} bytes)")
    image = open_checked(fileobj.read(settings.max_image_bytes + 1), real, settings)
    load_checked(image)
    image = orient(image)
    preview, ext, small, hash_ = preview_and_blurhash(image, settings)
    key = new_key(ext)
    put_all(storage, [(key, preview)])
    return StoredThumbnail(key, small, hash_)
