"""The `chaupal` command line on a temporary SQLite data folder: migrate, admin, demo, serve."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from chaupal import migrations
from chaupal.cli import app
from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker
from chaupal.models import Account, Follow, Status, User
from chaupal.security import verify_password

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


def _env(data_dir: Path) -> dict[str, str]:
    return {"CHAUPAL_DATA_DIR": str(data_dir), "CHAUPAL_DATABASE_URL": "", "CHAUPAL_REDIS_URL": ""}


def invoke(data_dir: Path, *args: str) -> Any:
    return runner.invoke(app, list(args), env=_env(data_dir), catch_exceptions=False)


def query(data_dir: Path, stmt: Any, all_rows: bool = False) -> Any:
    async def run() -> Any:
        engine = make_engine(Settings(data_dir=data_dir))
        try:
            async with make_sessionmaker(engine)() as session:
                result = await session.execute(stmt)
                return result.all() if all_rows else result.scalar()
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_migrate__fresh_data_dir__brings_schema_to_head(data_dir):
    result = invoke(data_dir, "migrate")

    assert result.exit_code == 0, result.output
    settings = Settings(data_dir=data_dir)
    assert asyncio.run(migrations.current_revision(settings)) == migrations.head_revision()


def test_migrate__twice__reports_up_to_date(data_dir):
    invoke(data_dir, "migrate")
    result = invoke(data_dir, "migrate")

    assert result.exit_code == 0
    assert "up to date" in result.output


def test_admin_create_account__no_password__generates_and_prints_it(data_dir):
    invoke(data_dir, "migrate")
    result = invoke(
        data_dir,
        "admin",
        "create-account",
        "ravi",
        "--email",
        "ravi@example.org",
        "--role",
        "admin",
    )

    assert result.exit_code == 0, result.output
    password = result.output.split("Password:")[1].split()[0]
    user = query(data_dir, select(User).join(Account).where(Account.username == "ravi"))
    assert user.role == "admin"
    assert verify_password(user.password_hash, password)


def test_admin_create_account__given_password__is_used_and_not_printed(data_dir):
    invoke(data_dir, "migrate")
    result = invoke(
        data_dir,
        "admin",
        "create-account",
        "sita",
        "--email",
        "sita@example.org",
        "--password",
        "correct horse battery",
    )

    assert result.exit_code == 0, result.output
    assert "correct horse battery" not in result.output
    user = query(data_dir, select(User).join(Account).where(Account.username == "sita"))
    assert user.role == "user"
    assert verify_password(user.password_hash, "correct horse battery")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["taken", "--email", "other@example.org"], "already taken"),
        (["newname", "--email", "not-an-email"], "email"),
        (["newname", "--email", "n@example.org", "--role", "emperor"], "role"),
        (["newname", "--email", "n@example.org", "--password", "short"], "password"),
    ],
)
def test_admin_create_account__bad_input__exit_1_and_nothing_written(data_dir, args, message):
    invoke(data_dir, "migrate")
    invoke(data_dir, "admin", "create-account", "taken", "--email", "taken@example.org")

    result = invoke(data_dir, "admin", "create-account", *args)

    assert result.exit_code == 1
    assert message in result.output
    assert query(data_dir, select(func.count(Account.id))) == 1


def test_admin_suspend__marks_account_suspended(data_dir):
    invoke(data_dir, "migrate")
    invoke(data_dir, "admin", "create-account", "mohan", "--email", "mohan@example.org")

    result = invoke(data_dir, "admin", "suspend", "mohan")

    assert result.exit_code == 0, result.output
    account = query(data_dir, select(Account).where(Account.username == "mohan"))
    assert account.suspended_at is not None


def test_admin_suspend__unknown_user__exit_1(data_dir):
    invoke(data_dir, "migrate")
    assert invoke(data_dir, "admin", "suspend", "nobody").exit_code == 1


def _demo_snapshot(data_dir: Path) -> tuple[list[Any], list[Any]]:
    accounts = query(data_dir, select(Account.username).order_by(Account.username), True)
    # Who wrote what, as a sorted list: the demo's history sits on a grid of whole days while its
    # latest scenes (the live announcement, the imported X past) are placed relative to the
    # moment it runs, so two runs seconds apart may interleave posts a few seconds apart
    # differently; the content itself must be the same.
    texts = sorted(
        query(
            data_dir,
            select(Account.username, Status.text).join(Account, Account.id == Status.account_id),
            True,
        )
    )
    return accounts, texts


def test_demo__same_seed__same_accounts_and_posts(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        result = invoke(folder, "demo", "--seed", "7", "--citizens", "15", "--intensity", "0.03")
        assert result.exit_code == 0, result.output

    assert _demo_snapshot(a) == _demo_snapshot(b)


def test_demo__small__creates_government_follows_and_backdated_multilingual_posts(data_dir):
    result = invoke(data_dir, "demo", "--citizens", "25", "--intensity", "0.05")

    assert result.exit_code == 0, result.output
    assert "demo_admin" in result.output
    names = {n for (n,) in query(data_dir, select(Account.username), True)}
    assert {"pm_ashok_rao", "PMO", "MinOfFinance", "MinOfRailways", "demo_admin"} <= names
    assert query(data_dir, select(func.count(Follow.id))) > 25
    rows = query(data_dir, select(Status.text, Status.created_at, Status.language), True)
    assert {lang for _, _, lang in rows} >= {"en", "hi"}
    assert any("\u0900" <= ch <= "\u097f" for text, _, _ in rows for ch in text)  # Devanagari
    assert any("#" in text for text, _, _ in rows)
    span = max(at for _, at, _ in rows) - min(at for _, at, _ in rows)
    assert span.days > 150  # two quarters of history
    admin = query(data_dir, select(User).join(Account).where(Account.username == "demo_admin"))
    assert admin.role == "admin"
    password = result.output.split("password")[1].split()[0]
    assert verify_password(admin.password_hash, password)


def test_demo__if_empty__skips_when_accounts_exist(data_dir):
    invoke(data_dir, "migrate")
    invoke(data_dir, "admin", "create-account", "first", "--email", "first@example.org")

    result = invoke(data_dir, "demo", "--if-empty", "--citizens", "5")

    assert result.exit_code == 0
    assert "not loaded" in result.output
    assert query(data_dir, select(func.count(Account.id))) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve__fresh_sqlite__migrates_and_answers_http(data_dir):
    port = _free_port()
    env = {**os.environ, **_env(data_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "chaupal.cli", "serve", "--port", str(port), "--no-access-log"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        response = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/instance", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert response is not None, proc.stdout.read().decode() if proc.poll() is not None else ""
        assert response.status_code == 200
        assert Settings(data_dir=data_dir).resolved_database_url.endswith("chaupal.sqlite3")
        assert (data_dir / "chaupal.sqlite3").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
