"""`chaupal backup` / `chaupal restore` on SQLite and PostgreSQL: data made through actions is
backed up, restored into a fresh database with the same rows and media files; damaged or
mismatched archives and non-empty targets are refused with a clear error."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from chaupal.actions.media import Upload, check_upload_media
from chaupal.actions.statuses import check_create_status
from chaupal.backup import BackupError, backup, restore, table_names
from chaupal.cli import app as cli_app
from chaupal.config import Settings
from chaupal.db import make_engine
from chaupal.migrations import head_revision
from chaupal.models import Account
from tests.conftest import PG_ADMIN_URL, _pg_admin
from tests.media import samples


async def _stamp(settings: Settings) -> None:
    """The test schema is made by create_all; give it the revision `chaupal migrate` would."""
    engine = make_engine(settings)
    async with engine.begin() as conn:
        await conn.execute(
            text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        )
        await conn.execute(text("DELETE FROM alembic_version"))
        await conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head_revision()})
    await engine.dispose()


async def _rows(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    engine = make_engine(settings)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(text(sql))).all()]
    finally:
        await engine.dispose()


def _media(settings: Settings) -> dict[str, bytes]:
    root = settings.data_dir / "media"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
async def populated(settings, session, make_user):
    alice = await make_user("alice")
    await make_user("bob")
    account = await session.get(Account, alice.account_id)
    media = await check_upload_media(
        session, settings, account, Upload(io.BytesIO(samples.jpeg()), "a.jpg", None)
    )
    await check_create_status(
        session, settings, account, text="Hello, backup", media_ids=[media.id]
    )
    await check_create_status(session, settings, account, text="Second post #ops")
    await session.commit()
    await _stamp(settings)
    return settings


@pytest.fixture
async def fresh(backend, tmp_path):
    """An empty target deployment of the same backend."""
    if backend == "sqlite":
        yield Settings(data_dir=tmp_path / "restored", database_url=None)
        return
    name = f"chaupal_restore_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    yield Settings(data_dir=tmp_path / "restored", database_url=f"{base}/{name}")
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


QUERY_STATUSES = "SELECT id, account_id, text FROM statuses ORDER BY id"
QUERY_ACCOUNTS = "SELECT id, username FROM accounts ORDER BY id"


async def test_backup_restore__fresh_database__same_rows_and_media(populated, fresh, tmp_path):
    archive = tmp_path / "b" / "chaupal.tar.gz"
    steps: list[str] = []
    manifest = await backup(populated, archive, lambda d, t: steps.append(d) or (lambda n: None))
    assert archive.is_file() and steps
    assert manifest["schema_revision"] == head_revision()
    assert manifest["tables"]["accounts"] == 2 and manifest["tables"]["statuses"] == 2
    assert manifest["media_files"] == len(_media(populated)) > 0

    restored = await restore(fresh, archive)
    assert restored["tables"] == manifest["tables"]
    for name in ("accounts", "statuses", "media_attachments", "users"):
        assert await _rows(fresh, f'SELECT count(*) FROM "{name}"') == await _rows(
            populated, f'SELECT count(*) FROM "{name}"'
        )
    assert await _rows(fresh, QUERY_STATUSES) == await _rows(populated, QUERY_STATUSES)
    assert await _rows(fresh, QUERY_ACCOUNTS) == await _rows(populated, QUERY_ACCOUNTS)
    assert _media(fresh) == _media(populated)


async def test_restore__non_empty_database__refused_without_force(populated, tmp_path):
    archive = tmp_path / "b.tar.gz"
    await backup(populated, archive)
    with pytest.raises(BackupError, match="not empty.*--force"):
        await restore(populated, archive)
    assert (await _rows(populated, "SELECT count(*) FROM statuses"))[0][0] == 2  # untouched
    await check_create_status_later(populated)
    manifest = await restore(populated, archive, force=True)
    statuses = await _rows(populated, "SELECT count(*) FROM statuses")
    assert statuses[0][0] == manifest["tables"]["statuses"] == 2  # the post made after is gone


async def check_create_status_later(settings: Settings) -> None:
    engine = make_engine(settings)
    try:
        from chaupal.db import make_sessionmaker

        async with make_sessionmaker(engine)() as session:
            account = (await session.execute(text("SELECT id FROM accounts LIMIT 1"))).scalar()
            author = await session.get(Account, account)
            await check_create_status(session, settings, author, text="after the backup")
            await session.commit()
    finally:
        await engine.dispose()


def _rewrite(archive: Path, out: Path, change: Any) -> None:
    """Copy an archive, letting `change(name, data)` return new bytes for a member."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
            data = change(member.name, data)
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


async def test_restore__damaged_archives__refused_clearly(populated, fresh, tmp_path):
    archive = tmp_path / "good.tar.gz"
    await backup(populated, archive)
    raw = archive.read_bytes()

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(BackupError, match="damaged or truncated"):
        await restore(fresh, truncated)

    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 0xFF
    bad = tmp_path / "flipped.tar.gz"
    bad.write_bytes(bytes(flipped))
    with pytest.raises(BackupError, match="damaged|truncated|not a readable"):
        await restore(fresh, bad)

    not_gzip = tmp_path / "plain.tar.gz"
    not_gzip.write_bytes(b"hello")
    with pytest.raises(BackupError, match="not a readable"):
        await restore(fresh, not_gzip)

    tampered = tmp_path / "tampered.tar.gz"
    _rewrite(archive, tampered, lambda n, d: d + b"x" if n.startswith("media/") else d)
    with pytest.raises(BackupError, match="checksum mismatch"):
        await restore(fresh, tampered)

    def other_revision(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["schema_revision"] = "0000_older"
        return json.dumps(manifest).encode()

    older = tmp_path / "older.tar.gz"
    _rewrite(archive, older, other_revision)
    with pytest.raises(BackupError, match="schema revision is 0000_older"):
        await restore(fresh, older)
    assert (await _rows(fresh, "SELECT 1")) == [(1,)]
    assert not (fresh.data_dir / "media").exists()  # nothing was touched


async def test_restore__other_backend__refused(populated, tmp_path, backend):
    archive = tmp_path / "b.tar.gz"
    await backup(populated, archive)
    other = (
        Settings(data_dir=tmp_path / "x", database_url="postgresql+asyncpg://nobody@127.0.0.1/none")
        if backend == "sqlite"
        else Settings(data_dir=tmp_path / "x", database_url=None)
    )
    with pytest.raises(BackupError, match="this deployment uses"):
        await restore(other, archive)


def test_table_names__cover_every_model_and_the_revision():
    names = table_names()
    assert "statuses" in names and "jobs" in names and names[-1] == "alembic_version"


def test_cli_backup_restore__sqlite_round_trip_and_corrupt_archive(tmp_path):
    runner = CliRunner()
    source = {
        "CHAUPAL_DATA_DIR": str(tmp_path / "src"),
        "CHAUPAL_DATABASE_URL": "",
        "CHAUPAL_REDIS_URL": "",
    }
    target = {**source, "CHAUPAL_DATA_DIR": str(tmp_path / "dst")}
    archive = tmp_path / "cli.tar.gz"
    assert runner.invoke(cli_app, ["migrate"], env=source).exit_code == 0
    made = runner.invoke(
        cli_app, ["admin", "create-account", "ravi", "--email", "r@example.org"], env=source
    )
    assert made.exit_code == 0, made.output

    result = runner.invoke(cli_app, ["backup", str(archive)], env=source)
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output and archive.is_file()

    result = runner.invoke(cli_app, ["restore", str(archive)], env=target)
    assert result.exit_code == 0, result.output
    assert "restored from" in result.output
    result = runner.invoke(cli_app, ["restore", str(archive)], env=target)
    assert result.exit_code == 1 and "--force" in result.output
    assert runner.invoke(cli_app, ["restore", "--force", str(archive)], env=target).exit_code == 0

    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(gzip.compress(b"not a tar at all")[:-4])
    result = runner.invoke(cli_app, ["restore", str(damaged)], env=target)
    assert result.exit_code == 1 and "restore refused" in result.output
