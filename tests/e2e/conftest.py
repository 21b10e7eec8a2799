"""End-to-end harness: a real `chaupal serve` subprocess over real HTTP, on SQLite and PostgreSQL.

`e2e_server` migrates a fresh database with `chaupal migrate`, starts `chaupal serve` on a free
loopback port and yields a `Server` (base URL, log); the server log tail is attached to failures.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from chaupal.devdb import free_port, pg_admin

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("CHAUPAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
START_TIMEOUT_SECONDS = 180.0  # generous: a loaded 2-core machine can take a minute


@dataclass
class Server:
    backend: str
    url: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)  # the server's CHAUPAL_* environment

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `chaupal ARGS` against this server's database (e.g. `admin create-account`)."""
        return subprocess.run(
            [_chaupal_cli(), *args], check=False, env=self.env, cwd=ROOT, capture_output=True, text=True,
            timeout=120,
        )

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _service_missing(what: str, exc: BaseException) -> None:
    message = f"{what} is not reachable ({exc!r})"
    if CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


def _pg_admin(sql: str) -> None:
    pg_admin(PG_ADMIN_URL, sql)


_free_port = free_port


def _chaupal_cli() -> str:
    exe = VENV_BIN / "chaupal"
    if exe.exists():
        return str(exe)
    found = shutil.which("chaupal")
    if not found:
        pytest.fail("the `chaupal` console script is not installed", pytrace=False)
    return found


def _server_env(data_dir: Path, database_url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAUPAL_")}
    env.update(
        CHAUPAL_DATA_DIR=str(data_dir),
        CHAUPAL_DATABASE_URL=database_url,
        CHAUPAL_DOMAIN=f"127.0.0.1:{port}",
        CHAUPAL_RATE_LIMIT_ENABLED="false",
        PYTHONUNBUFFERED="1",
    )
    return env


def _migrate(env: dict[str, str], log_path: Path) -> None:
    with log_path.open("ab") as log:
        done = subprocess.run(
            [_chaupal_cli(), "migrate"],
            check=False,
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=300,
        )
    if done.returncode != 0:
        pytest.fail(
            f"`chaupal migrate` exited {done.returncode}:\n{log_path.read_text(errors='replace')}",
            pytrace=False,
        )


def _wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    last: str = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"`chaupal serve` exited with {server.process.returncode}:\n{server.log_tail()}",
                pytrace=False,
            )
        try:
            r = httpx.get(f"{server.url}/api/v1/instance", timeout=2.0)
            if r.status_code == 200:
                return
            last = f"HTTP {r.status_code}: {r.text[:200]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.2)
    pytest.fail(
        f"`chaupal serve` did not answer /api/v1/instance ({last}):\n{server.log_tail()}",
        pytrace=False,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def e2e_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def e2e_server(e2e_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp(f"e2e-{e2e_backend}")
    pg_name: str | None = None
    if e2e_backend == "postgres":
        pg_name = f"chaupal_e2e_{uuid.uuid4().hex[:12]}"
        try:
            _pg_admin(f'CREATE DATABASE "{pg_name}"')
        except Exception as exc:  # noqa: BLE001
            _service_missing("PostgreSQL", exc)
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        database_url = f"{base}/{pg_name}"
    else:
        database_url = f"sqlite+aiosqlite:///{data_dir / 'chaupal.sqlite3'}"

    port = _free_port()
    env = _server_env(data_dir, database_url, port)
    log_path = data_dir / "server.log"
    process: subprocess.Popen[bytes] | None = None
    try:
        _migrate(env, log_path)
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [_chaupal_cli(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = Server(e2e_backend, f"http://127.0.0.1:{port}", port, log_path, process, env)
        _wait_until_ready(server)
        yield server
    finally:
        if process is not None:
            _stop(process)
        if pg_name is not None:
            _pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """Attach the server log tail to a failing e2e test, so a 500 shows its traceback."""
    report = yield
    if report.failed:
        found = [
            v if isinstance(v, Server) else getattr(v, "server", None)
            for v in getattr(item, "funcargs", {}).values()
        ]
        for server in (s for s in found if isinstance(s, Server)):
            report.sections.append((f"chaupal serve log ({server.backend})", server.log_tail(120)))
    return report
