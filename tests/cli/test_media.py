"""`chaupal media cleanup` on a temporary SQLite data folder."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from chaupal.actions.accounts import check_create_account
from chaupal.actions.media import Upload, check_upload_media
from chaupal.cli import app
from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker, utcnow
from chaupal.models import MediaAttachment
from tests.media import samples

runner = CliRunner()


def _env(data_dir: Path) -> dict[str, str]:
    return {"CHAUPAL_DATA_DIR": str(data_dir), "CHAUPAL_DATABASE_URL": "", "CHAUPAL_REDIS_URL": ""}


def test_media_cleanup__removes_old_unattached_uploads(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    assert runner.invoke(app, ["migrate"], env=_env(data_dir)).exit_code == 0
    settings = Settings(data_dir=data_dir)

    async def setup() -> list[Path]:
        engine = make_engine(settings)
        try:
            async with make_sessionmaker(engine)() as session:
                account, _ = await check_create_account(
                    session,
                    settings,
                    username="alice",
                    email="a@example.org",
                    password="password123",
                )
                old = await check_upload_media(
                    session, settings, account, Upload(io.BytesIO(samples.jpeg()), "a.jpg")
                )
                await check_upload_media(
                    session, settings, account, Upload(io.BytesIO(samples.jpeg()), "b.jpg")
                )
                old.created_at = utcnow() - timedelta(
                    seconds=settings.media_unattached_ttl_seconds + 1
                )
                await session.commit()
                return [data_dir / "media" / k for k in (old.file_path, old.thumbnail_path)]
        finally:
            await engine.dispose()

    async def count() -> int:
        engine = make_engine(settings)
        try:
            async with make_sessionmaker(engine)() as session:
                return int(await session.scalar(select(func.count()).select_from(MediaAttachment)))
        finally:
            await engine.dispose()

    old_files = asyncio.run(setup())
    assert all(p.exists() for p in old_files)

    result = runner.invoke(app, ["media", "cleanup"], env=_env(data_dir), catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert "removed 1 unattached media (2 files)" in result.output
    assert not any(p.exists() for p in old_files)
    assert asyncio.run(count()) == 1
