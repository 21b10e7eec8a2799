"""Several real `chaupal serve` processes federating over loopback HTTP (issue 7 acceptance).

Each `Instance` has its own address (127.0.0.1, 127.0.0.2, ... — all loopback), port, domain
(`127.0.0.N:PORT`), data directory and database (SQLite file or a fresh PostgreSQL database),
runs its jobs in-process so deliveries happen, and allows plain HTTP to loopback peers
(`CHAUPAL_FEDERATION_ALLOW_HTTP_LOOPBACK`, a test-only setting). Users are registered through
the API with Mastodon.py; admins are made with the real CLI and signed in through OAuth.
Server start/stop, migration and database creation are the single-server harness's
(tests/e2e/conftest.py), reused here.
"""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from mastodon import Mastodon
from sqlalchemy import create_engine, select

from chaupal.models import Job
from tests.e2e.browser import authorize
from tests.e2e.conftest import (
    PG_ADMIN_URL,
    ROOT,
    Server,
    _chaupal_cli,
    _migrate,
    _pg_admin,
    _server_env,
    _service_missing,
    _stop,
)
from tests.e2e.entities import RecordingSession

PASSWORD = "correct horse battery staple"
SCOPES = ["read", "write", "follow", "push"]
ADMIN_SCOPES = "read write follow admin:read admin:write"
OOB = "urn:ietf:wg:oauth:2.0:oob"
DELIVERY_DEADLINE_SECONDS = 20.0  # generous: deliveries are jobs polled every second
START_DEADLINE_SECONDS = 240.0  # two or three servers start at once on a shared 2-core machine

T = TypeVar("T")


def free_port_on(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


@dataclass
class Instance:
    """One federating server: its process (`server`), domain and database, and helpers."""

    name: str
    server: Server
    domain: str
    sync_database_url: str  # for reading the jobs table from the test process
    client_id: str = ""
    client_secret: str = ""
    _engine: Any = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, token: str | None = None) -> Mastodon:
        return Mastodon(
            client_id=self.client_id or None,
            client_secret=self.client_secret or None,
            access_token=token,
            api_base_url=self.url,
            version_check_mode="created",
            session=RecordingSession(),
        )

    def register(self, username: str, *, locked: bool = False) -> Mastodon:
        """A new user signed up through the API (Mastodon.py `create_account`)."""
        api = self.client()
        api.create_account(
            username, PASSWORD, f"{username}@example.org", agreement=True, locale="en", scopes=SCOPES
        )
        if locked:
            api.account_update_credentials(locked=True)
        return api

    def admin_token(self, username: str) -> str:
        """An admin made with `chaupal admin create-account --role admin`, signed in with OAuth."""
        done = self.server.cli(
            "admin", "create-account", username, "--email", f"{username}@example.org",
            "--password", PASSWORD, "--role", "admin",
        )
        assert done.returncode == 0, done.stdout + done.stderr
        app = httpx.post(f"{self.url}/api/v1/apps", data={
            "client_name": "fed-e2e-admin", "redirect_uris": OOB, "scopes": ADMIN_SCOPES}).json()
        url = f"{self.url}/oauth/authorize?" + str(httpx.QueryParams({
            "client_id": app["client_id"], "redirect_uri": OOB, "response_type": "code",
            "scope": ADMIN_SCOPES}))
        code = authorize(url, username, PASSWORD).code
        token = httpx.post(f"{self.url}/oauth/token", data={
            "grant_type": "authorization_code", "code": code, "client_id": app["client_id"],
            "client_secret": app["client_secret"], "redirect_uri": OOB}).json()
        return str(token["access_token"])

    def handle(self, username: str) -> str:
        """`user@domain` as another server writes it (the domain keeps its port)."""
        return f"{username}@{self.domain}"

    def busy_jobs(self) -> list[str]:
        """Jobs running or due now (queued with run_at in the past): deliveries in flight."""
        if self._engine is None:
            self._engine = create_engine(self.sync_database_url)
        now = datetime.now(UTC).replace(tzinfo=None)
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(Job.kind, Job.state, Job.run_at).where(Job.state.in_(("queued", "running")))
            ).all()
        busy = []
        for kind, state, run_at in rows:
            due = run_at.replace(tzinfo=None) if run_at.tzinfo is None else (
                run_at.astimezone(UTC).replace(tzinfo=None))
            if state == "running" or due <= now:
                busy.append(f"{kind}:{state}")
        return busy

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def _wait_until_ready(server: Server) -> None:
    end = time.monotonic() + START_DEADLINE_SECONDS
    last = "no answer"
    while time.monotonic() < end:
        if server.process.poll() is not None:
            pytest.fail(f"`chaupal serve` exited with {server.process.returncode}:\n{server.log_tail()}",
                        pytrace=False)
        try:
            r = httpx.get(f"{server.url}/api/v1/instance", timeout=5.0)
            if r.status_code == 200:
                return
            last = f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.3)
    pytest.fail(f"`chaupal serve` did not answer within {START_DEADLINE_SECONDS:.0f} s ({last}):\n"
                f"{server.log_tail()}", pytrace=False)


def start_instance(
    name: str,
    address: str,
    backend: str,
    data_dir: Path,
    stack: ExitStack,
    extra_env: dict[str, str] | None = None,
) -> Instance:
    """Migrate a fresh database and start `chaupal serve` on `address`; stopped by `stack`."""
    port = free_port_on(address)
    domain = f"{address}:{port}"
    pg_name: str | None = None
    if backend == "postgres":
        pg_name = f"chaupal_fed_{uuid.uuid4().hex[:12]}"
        try:
            _pg_admin(f'CREATE DATABASE "{pg_name}"')
        except Exception as exc:  # noqa: BLE001
            _service_missing("PostgreSQL", exc)
        stack.callback(_pg_admin, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        database_url = f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{pg_name}"
        sync_url = f"{base.replace('postgresql://', 'postgresql+psycopg2://', 1)}/{pg_name}"
    else:
        database_url = f"sqlite+aiosqlite:///{data_dir / 'chaupal.sqlite3'}"
        sync_url = f"sqlite:///{data_dir / 'chaupal.sqlite3'}"
    env = _server_env(data_dir, database_url, port)
    env.update(
        CHAUPAL_DOMAIN=domain,
        CHAUPAL_JOBS_IN_PROCESS="true",
        CHAUPAL_FEDERATION_ENABLED="true",
        CHAUPAL_FEDERATION_ALLOW_HTTP_LOOPBACK="true",
        CHAUPAL_SECRET_KEY=f"fed-e2e-{name}-{uuid.uuid4().hex}",
        **(extra_env or {}),
    )
    log_path = data_dir / "server.log"
    _migrate(env, log_path)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [_chaupal_cli(), "serve", "--host", address, "--port", str(port)],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
    stack.callback(_stop, process)
    server = Server(f"{name}/{backend}", f"http://{domain}", port, log_path, process, env)
    _wait_until_ready(server)
    instance = Instance(name, server, domain, sync_url)
    stack.callback(instance.close)
    instance.client_id, instance.client_secret = Mastodon.create_app(
        f"Chaupal federation E2E ({name})", scopes=SCOPES, redirect_uris=OOB,
        api_base_url=instance.url, session=RecordingSession(),
    )
    return instance


@contextmanager
def instances(
    tmp_path_factory: pytest.TempPathFactory, *specs: tuple[str, str, str, dict[str, str]]
) -> Iterator[list[Instance]]:
    """Start one instance per (name, address, backend, extra_env); stop them all afterwards."""
    with ExitStack() as stack:
        yield [
            start_instance(name, address, backend, tmp_path_factory.mktemp(f"fed-{name}"), stack, env)
            for name, address, backend, env in specs
        ]


def wait_for(
    what: str, probe: Callable[[], T | None], deadline: float = DELIVERY_DEADLINE_SECONDS
) -> T:
    """Poll `probe` until it returns something truthy; fail with `what` after `deadline` s."""
    end = time.monotonic() + deadline
    last: Any = None
    while True:
        try:
            value = probe()
        except Exception as exc:  # noqa: BLE001  (a 404 before delivery is just "not yet")
            value, last = None, exc
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"timed out after {deadline:.0f} s waiting for {what} (last error: {last!r})",
                        pytrace=False)
        time.sleep(0.25)


def settle(*servers: Instance, deadline: float = DELIVERY_DEADLINE_SECONDS) -> None:
    """Wait until no server has a job running or due (twice in a row, since one job can enqueue
    another): what was sent has been delivered or refused, and nothing more is on its way."""
    quiet = 0
    end = time.monotonic() + deadline
    while quiet < 2:
        busy = [f"{s.name}: {job}" for s in servers for job in s.busy_jobs()]
        quiet = 0 if busy else quiet + 1
        if time.monotonic() > end:
            pytest.fail(f"servers still busy after {deadline:.0f} s: {busy}", pytrace=False)
        time.sleep(0.5)


def unique(word: str) -> str:
    return f"{word}{uuid.uuid4().hex[:6]}"
