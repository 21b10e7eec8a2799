"""Regenerate the initial migration from `chaupal.models`:
`python -m chaupal.migrations.regen` (also `make migration`, `scripts/regen-initial-migration`).

Autogenerates against an empty SQLite database, so the result describes the whole schema."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy.engine import Connection

from chaupal.config import Settings
from chaupal.db import make_engine
from chaupal.migrations import HERE, alembic_config

INITIAL = "0001"


async def regenerate() -> Path:
    versions = HERE / "versions"
    others = [p for p in versions.glob("*.py") if not p.name.startswith(f"{INITIAL}_")]
    if others:
        raise SystemExit(
            "later migrations exist; regenerating the initial one would orphan them: "
            + ", ".join(p.name for p in others)
        )
    for old in versions.glob(f"{INITIAL}_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), database_url=f"sqlite+aiosqlite:///{tmp}/empty.sqlite3"
        )
        engine = make_engine(settings)
        async with engine.begin() as conn:

            def work(sync_conn: Connection) -> None:
                cfg = alembic_config(settings)
                cfg.attributes["connection"] = sync_conn
                cfg.attributes["initial"] = True
                command.revision(cfg, message="initial schema", autogenerate=True, rev_id=INITIAL)

            await conn.run_sync(work)
        await engine.dispose()
    (path,) = versions.glob(f"{INITIAL}_*.py")
    return path


def tidy(path: Path) -> None:
    ruff = Path(sys.executable).with_name("ruff")
    if ruff.exists():
        subprocess.run([str(ruff), "format", "--quiet", str(path)], check=False)
        subprocess.run([str(ruff), "check", "--fix", "--quiet", str(path)], check=False)


def main() -> None:
    path = asyncio.run(regenerate())
    tidy(path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
