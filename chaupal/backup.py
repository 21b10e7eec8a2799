"""Backup and restore of one deployment as a single tar.gz: the database (SQLite online backup
API, or `pg_dump -Fc` from an exported snapshot), the media folder, and a manifest (version,
schema revision, rows per table, SHA-256 of every member). Used by `chaupal backup|restore`."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import text
from sqlalchemy.engine import make_url

from chaupal.config import Settings

FORMAT = "chaupal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
MEDIA = "media"
CHUNK = 1 << 20

Step = Callable[[str, int | None], Callable[[int], None]]  # (description, total) -> advance(n)


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why and what to do."""


def _no_progress(description: str, total: int | None) -> Callable[[int], None]:
    return lambda n: None


def table_names() -> list[str]:
    import chaupal.models  # noqa: F401  (registers tables)
    from chaupal.db import Base

    return sorted(Base.metadata.tables) + ["alembic_version"]


def sqlite_path(settings: Settings) -> Path:
    return Path(make_url(settings.resolved_database_url).database or "")


def _pg_command_env(settings: Settings) -> tuple[str, dict[str, str]]:
    """A libpq URL for pg_dump/pg_restore, the password passed in the environment (not argv)."""
    url = make_url(settings.resolved_database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None, query={})
    return plain.render_as_string(hide_password=False), env


def _binary(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (PostgreSQL client tools are needed)")
    return found


def _sqlite_counts(conn: sqlite3.Connection) -> tuple[dict[str, int], str | None]:
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    counts = {
        n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]
        for n in table_names()
        if n in present
    }
    revision = None
    if "alembic_version" in present:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return counts, revision


async def _pg_counts(conn: Any) -> tuple[dict[str, int], str | None]:
    present = set(
        (
            await conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
        ).scalars()
    )
    counts = {}
    for name in table_names():
        if name in present:
            counts[name] = int(await conn.scalar(text(f'SELECT count(*) FROM "{name}"')))
    revision = None
    if "alembic_version" in present:
        revision = await conn.scalar(text("SELECT version_num FROM alembic_version"))
    return counts, revision


async def _run(argv: list[str], env: dict[str, str]) -> None:
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise BackupError(
            f"{Path(argv[0]).name} failed: {err.decode(errors='replace').strip()[-2000:]}"
        )


def _sqlite_backup(settings: Settings, out: Path, step: Step) -> tuple[dict[str, int], str | None]:
    path = sqlite_path(settings)
    if not path.exists():
        raise BackupError(f"no database at {path}")
    src = sqlite3.connect(path)
    dst = sqlite3.connect(out)
    try:
        advance = step("database (SQLite online backup)", None)
        # Page by page; a write during the copy restarts it, so the copy is one consistent state.
        src.backup(dst, pages=4096, progress=lambda status, remaining, total: advance(0))
        return _sqlite_counts(dst)
    finally:
        dst.close()
        src.close()


async def _pg_backup(
    settings: Settings, out: Path, step: Step
) -> tuple[dict[str, int], str | None]:
    """pg_dump from a snapshot exported by a REPEATABLE READ transaction that also counts the
    rows: the counts in the manifest are exactly those in the dump, while the server writes."""
    from chaupal.db import make_engine

    pg_dump = _binary("pg_dump")
    url, env = _pg_command_env(settings)
    engine = make_engine(settings)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            snapshot = await conn.scalar(text("SELECT pg_export_snapshot()"))
            counts, revision = await _pg_counts(conn)
            step("database (pg_dump -Fc)", None)
            await _run([pg_dump, "-Fc", f"--snapshot={snapshot}", "-f", str(out), "-d", url], env)
            await conn.rollback()
    finally:
        await engine.dispose()
    return counts, revision


class _Hashing(io.RawIOBase):
    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.sha = raw, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha.update(data)
        return data


def _add(tar: tarfile.TarFile, path: Path, name: str) -> str:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as fh:
        wrapped = _Hashing(fh)
        tar.addfile(info, wrapped)  # type: ignore[arg-type]
    return wrapped.sha.hexdigest()


def _media_files(settings: Settings) -> list[Path]:
    root = settings.data_dir / MEDIA
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


async def backup(settings: Settings, dest: Path, step: Step = _no_progress) -> dict[str, Any]:
    """Write the archive to `dest` (atomically: a temporary name, then renamed) and return its
    manifest. Safe while `serve` and `worker` run."""
    from chaupal.app import VERSION

    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".chaupal-backup-") as tmp:
        work = Path(tmp)
        if settings.is_sqlite:
            member, db_file = SQLITE_MEMBER, work / SQLITE_MEMBER
            counts, revision = await asyncio.to_thread(_sqlite_backup, settings, db_file, step)
        else:
            member, db_file = PG_MEMBER, work / PG_MEMBER
            counts, revision = await _pg_backup(settings, db_file, step)
        media = _media_files(settings)
        checksums: dict[str, str] = {}
        partial = work / "archive.tar.gz"
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            checksums[member] = _add(tar, db_file, member)
            advance = step("media files", len(media))
            media_bytes = 0
            root = settings.data_dir / MEDIA
            for path in media:
                with contextlib.suppress(FileNotFoundError):  # deleted since the listing
                    name = f"{MEDIA}/{path.relative_to(root).as_posix()}"
                    checksums[name] = _add(tar, path, name)
                    media_bytes += path.stat().st_size
                advance(1)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "chaupal_version": VERSION,
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "backend": "sqlite" if settings.is_sqlite else "postgresql",
                "schema_revision": revision,
                "tables": counts,
                "database": member,
                "media_files": len(checksums) - 1,
                "media_bytes": media_bytes,
                "sha256": checksums,
            }
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(body), int(dt.datetime.now(dt.UTC).timestamp())
            tar.addfile(info, io.BytesIO(body))
        os.replace(partial, dest)
    return manifest


# ---- restore ------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _unpack(archive: Path, into: Path, step: Step) -> dict[str, Any]:
    """Extract (tarfile's `data` filter: no absolute paths, links out or devices) and check every
    member against the manifest. Any damage is a BackupError before the target is touched."""
    if not archive.is_file():
        raise BackupError(f"no backup archive at {archive}")
    advance = step("reading and checking the archive", None)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                tar.extract(member, into, filter="data")
                advance(1)
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as exc:
        raise BackupError(
            f"{archive} is not a readable Chaupal backup (damaged or truncated: {exc})"
        ) from None
    try:
        manifest = json.loads((into / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{archive} has no readable {MANIFEST} ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a Chaupal backup (manifest format)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"backup format {manifest.get('format_version')} is not supported (this Chaupal reads {FORMAT_VERSION})"
        )
    sums = manifest.get("sha256") or {}
    found = {p.relative_to(into).as_posix() for p in into.rglob("*") if p.is_file()} - {MANIFEST}
    if found != set(sums):
        raise BackupError(f"{archive} does not match its manifest (missing or extra files)")
    for name, digest in sums.items():
        if _sha256(into / name) != digest:
            raise BackupError(f"{archive} is damaged: checksum mismatch for {name}")
    return manifest


async def _target_rows(settings: Settings) -> int:
    if settings.is_sqlite:
        path = sqlite_path(settings)
        if not path.exists():
            return 0
        conn = sqlite3.connect(path)
        try:
            return sum(
                _sqlite_counts(conn)[0].get(n, 0) for n in table_names() if n != "alembic_version"
            )
        finally:
            conn.close()
    from chaupal.db import make_engine

    engine = make_engine(settings)
    try:
        async with engine.connect() as conn:
            counts, _ = await _pg_counts(conn)
    finally:
        await engine.dispose()
    return sum(v for k, v in counts.items() if k != "alembic_version")


def _check_counts(restored: dict[str, int], manifest: dict[str, Any]) -> None:
    expected = manifest.get("tables") or {}
    wrong = {k: (v, restored.get(k)) for k, v in expected.items() if restored.get(k) != v}
    if wrong:
        raise BackupError(f"restored row counts differ from the manifest: {wrong}")


def _restore_sqlite(settings: Settings, staged: Path, manifest: dict[str, Any]) -> None:
    """Check the staged copy, then swap it in with one rename (atomic on one file system)."""
    target = sqlite_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.restore-{secrets.token_hex(4)}")
    shutil.copyfile(staged, tmp)
    try:
        conn = sqlite3.connect(tmp)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("the SQLite database in the archive fails its integrity check")
            _check_counts(_sqlite_counts(conn)[0], manifest)
        finally:
            conn.close()
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        if target.exists():  # fold the old WAL in, so no stale -wal/-shm meets the new file
            old = sqlite3.connect(target)
            with contextlib.suppress(sqlite3.DatabaseError):
                old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            old.close()
        os.replace(tmp, target)
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                target.with_name(target.name + suffix).unlink()
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


async def _restore_pg(settings: Settings, staged: Path, manifest: dict[str, Any]) -> None:
    """pg_restore in one transaction (all or nothing); `--clean --if-exists` drops what exists."""
    from chaupal.db import make_engine

    pg_restore = _binary("pg_restore")
    url, env = _pg_command_env(settings)
    argv = [pg_restore, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges"]
    await _run([*argv, "--clean", "--if-exists", "-d", url, str(staged)], env)
    engine = make_engine(settings)
    try:
        async with engine.connect() as conn:
            counts, _ = await _pg_counts(conn)
    finally:
        await engine.dispose()
    _check_counts(counts, manifest)


def _swap_media(settings: Settings, staged: Path) -> None:
    target = settings.data_dir / MEDIA
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    old = settings.data_dir / f".media-old-{secrets.token_hex(4)}"
    if target.exists():
        os.replace(target, old)
    if staged.is_dir():
        os.replace(staged, target)
    else:
        target.mkdir()
    shutil.rmtree(old, ignore_errors=True)


async def restore(
    settings: Settings, archive: Path, *, force: bool = False, step: Step = _no_progress
) -> dict[str, Any]:
    """Restore `archive` into the configured database and data folder. Refuses a damaged archive,
    another backend, another schema revision, and (without `force`) a database that has rows.
    Stop `serve` and `worker` first."""
    from chaupal.migrations import head_revision

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.data_dir, prefix=".chaupal-restore-") as tmp:
        work = Path(tmp)
        manifest = await asyncio.to_thread(_unpack, archive.resolve(), work, step)
        backend = "sqlite" if settings.is_sqlite else "postgresql"
        if manifest.get("backend") != backend:
            raise BackupError(
                f"the archive holds a {manifest.get('backend')} database; this deployment uses {backend}"
            )
        head = head_revision()
        if manifest.get("schema_revision") != head:
            raise BackupError(
                f"the archive's schema revision is {manifest.get('schema_revision')}, this Chaupal's is "
                f"{head}: restore with the Chaupal version that made it, then upgrade and `chaupal migrate`"
            )
        rows = await _target_rows(settings)
        if rows and not force:
            raise BackupError(
                f"the target database is not empty ({rows} rows); use --force to overwrite it"
            )
        step("restoring the database", None)
        if settings.is_sqlite:
            await asyncio.to_thread(_restore_sqlite, settings, work / SQLITE_MEMBER, manifest)
        else:
            await _restore_pg(settings, work / PG_MEMBER, manifest)
        step("restoring media files", None)
        _swap_media(settings, work / MEDIA)
    return manifest


def iter_summary(manifest: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield "backend", str(manifest.get("backend"))
    yield "schema revision", str(manifest.get("schema_revision"))
    yield "created", str(manifest.get("created_at"))
    tables = manifest.get("tables") or {}
    yield "rows", f"{sum(tables.values()):,} in {len(tables)} tables"
    yield (
        "media files",
        f"{manifest.get('media_files', 0):,} ({manifest.get('media_bytes', 0):,} bytes)",
    )
