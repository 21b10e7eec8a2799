"""Where media files live: a small `Storage` interface and the local-folder store under
`data_dir/media`. Keys are random names chosen here, never the client's filename."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from chaupal.config import Settings

# The only extensions we ever write, and the content type each is served with.
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "mp4": "video/mp4",
    "webm": "video/webm",
}
# "ab/cd/<32 hex>.<ext>": two shard folders from the name itself, then the name.
KEY_RE = re.compile(
    r"^([0-9a-f]{2})/([0-9a-f]{2})/\1\2[0-9a-f]{28}\.(" + "|".join(CONTENT_TYPES) + r")$"
)


def new_key(ext: str) -> str:
    if ext not in CONTENT_TYPES:
        raise ValueError(f"unsupported extension {ext!r}")
    name = secrets.token_hex(16)
    return f"{name[:2]}/{name[2:4]}/{name}.{ext}"


def valid_key(key: str) -> bool:
    return bool(KEY_RE.match(key))


def content_type_for(key: str) -> str:
    return CONTENT_TYPES[key.rsplit(".", 1)[1]]


class Storage(Protocol):
    """A blob store addressed by keys from `new_key`. An S3-compatible store implements the same
    five methods (and answers None from `local_path`, so files are served by URL instead)."""

    def put(self, key: str, data: bytes | BinaryIO) -> None: ...

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str: ...

    def local_path(self, key: str) -> Path | None: ...


class LocalStorage:
    """Files under `root`, written atomically (temp file + rename), never outside it."""

    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")

    def path(self, key: str) -> Path:
        if not valid_key(key):  # no "..", no absolute paths, no client-chosen names
            raise ValueError("invalid media key")
        return self.root / key

    def put(self, key: str, data: bytes | BinaryIO) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, (bytes, bytearray, memoryview)):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, 1024 * 1024)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink(missing_ok=True)
        except ValueError:
            pass

    def url(self, key: str) -> str:
        return f"{self.base_url}/{key}"

    def local_path(self, key: str) -> Path | None:
        return self.path(key)

    def iter_keys(self, older_than: float) -> Iterator[str]:
        """Keys of files last modified before `older_than` (a Unix time): for the orphan sweep."""
        if not self.root.is_dir():
            return
        for path in self.root.glob("*/*/*"):
            key = path.relative_to(self.root).as_posix()
            if valid_key(key) and path.stat().st_mtime < older_than:
                yield key


def media_base_url(settings: Settings) -> str:
    return settings.media_base_url or f"{settings.base_url}/system/media"


def media_storage(settings: Settings) -> LocalStorage:
    """The configured media store (the local folder; an S3-compatible one can be chosen here)."""
    return LocalStorage(settings.data_dir / "media", media_base_url(settings))
