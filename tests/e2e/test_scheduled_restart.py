"""End to end with Mastodon.py against `chaupal serve` subprocesses, on SQLite and PostgreSQL:
a post scheduled before the server stops is published after it starts again (the job is durable),
and an approval-required post stays invisible until another staff member approves it."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from mastodon import Mastodon

from tests.e2e.conftest import (
    ROOT,
    Server,
    _chaupal_cli,
    _free_port,
    _migrate,
    _pg_admin,
    _server_env,
    _service_missing,
    _stop,
    _wait_until_ready,
)
from tests.e2e.entities import RecordingSession, assert_entity

LEAD_SECONDS = 2  # the minimum lead time for this server (Mastodon's is 300)
PASSWORD = "correct horse battery staple"


@dataclass
class Restartable:
    backend: str
    env: dict[str, str]
    port: int
    log_path: Path
    server: Server | None = None

    def start(self) -> Server:
        with self.log_path.open("ab") as log:
            process = subprocess.Popen(
                [_chaupal_cli(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )
        self.server = Server(self.backend, f"http://127.0.0.1:{self.port}", self.port, self.log_path, process)
        _wait_until_ready(self.server)
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            _stop(self.server.process)


@pytest.fixture(params=["sqlite", "postgres"])
def restartable(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Restartable]:
    backend = str(request.param)
    data_dir = tmp_path_factory.mktemp(f"sched-{backend}")
    pg_name = None
    if backend == "postgres":
        pg_name = f"chaupal_e2e_{uuid.uuid4().hex[:12]}"
        try:
            _pg_admin(f'CREATE DATABASE "{pg_name}"')
        except Exception as exc:  # noqa: BLE001
            _service_missing("PostgreSQL", exc)
        from tests.e2e.conftest import PG_ADMIN_URL

        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        url = f"{base}/{pg_name}"
    else:
        url = f"sqlite+aiosqlite:///{data_dir / 'chaupal.sqlite3'}"
    port = _free_port()
    env = _server_env(data_dir, url, port)
    env.update(
        CHAUPAL_SCHEDULED_STATUS_MIN_LEAD_SECONDS=str(LEAD_SECONDS),
        CHAUPAL_JOBS_POLL_INTERVAL_SECONDS="0.2",
    )
    log_path = data_dir / "server.log"
    _migrate(env, log_path)
    r = Restartable(backend, env, port, log_path)
    try:
        yield r
    finally:
        r.stop()
        if pg_name is not None:
            _pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def _api(server: Server, token: str | None = None, **kw: str) -> Mastodon:
    return Mastodon(access_token=token, api_base_url=server.url, version_check_mode="created",
                    session=RecordingSession(), **kw)


def _register(server: Server, username: str) -> Mastodon:
    app_id, secret = Mastodon.create_app("sched-test", api_base_url=server.url, scopes=["read", "write", "follow"])
    anon = _api(server, client_id=app_id, client_secret=secret)
    token = anon.create_account(username, PASSWORD, f"{username}@example.org", agreement=True, locale="en",
                                scopes=["read", "write", "follow"])
    return _api(server, token)


def _wait_for(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_scheduled_post__survives_a_restart_and_is_published_after_it(restartable: Restartable) -> None:
    server = restartable.start()
    alice = _register(server, "alice")
    when = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS + 3)
    scheduled = assert_entity(
        alice.status_post("scheduled across a restart #durable", scheduled_at=when), "ScheduledStatus"
    )
    assert [s.id for s in assert_entity(alice.scheduled_statuses(), "list[ScheduledStatus]")] == [scheduled.id]
    shown = assert_entity(alice.scheduled_status(scheduled.id), "ScheduledStatus")
    assert shown.params.text == "scheduled across a restart #durable"

    restartable.stop()
    time.sleep(max(0.0, (when - datetime.now(UTC)).total_seconds()) + 1)  # due while nobody runs
    server = restartable.start()
    alice = _api(server, alice.access_token)

    def published() -> bool:
        return any("across a restart" in s.content for s in alice.timeline_public())

    assert _wait_for(published), "the scheduled post was not published after the restart"
    assert any("across a restart" in s.content for s in alice.timeline_home())
    assert list(alice.scheduled_statuses()) == []


def test_scheduled_post__reschedule_and_cancel_with_mastodon_py(restartable: Restartable) -> None:
    server = restartable.start()
    alice = _register(server, "alice")
    first = alice.status_post("to be moved", scheduled_at=datetime.now(UTC) + timedelta(hours=1))
    moved = assert_entity(
        alice.scheduled_status_update(first.id, datetime.now(UTC) + timedelta(days=1)), "ScheduledStatus"
    )
    assert moved.scheduled_at > datetime.now(UTC) + timedelta(hours=20)
    alice.scheduled_status_delete(first.id)
    assert list(alice.scheduled_statuses()) == []


def _make_institution(restartable: Restartable, owner: str, editors: list[str]) -> dict[str, str]:
    """Institution, profile (require_approval) and memberships straight through the models, and a
    delegated token per staff member; returns {username: delegated token}."""
    import asyncio

    from chaupal.actions.tokens import do_issue_token
    from chaupal.config import Settings
    from chaupal.db import make_engine, make_sessionmaker
    from chaupal.models import Account, InstitutionMember, InstitutionProfile, User

    settings = Settings(database_url=restartable.env["CHAUPAL_DATABASE_URL"],
                        data_dir=Path(restartable.env["CHAUPAL_DATA_DIR"]))

    async def run() -> dict[str, str]:
        engine = make_engine(settings)
        try:
            async with make_sessionmaker(engine)() as s:
                inst = Account(username="health", username_lower="health", display_name="Ministry of Health",
                               kind="institution")
                s.add(inst)
                await s.flush()
                s.add(InstitutionProfile(account_id=inst.id, category="ministry", require_approval=True))
                tokens = {}
                for name in [owner, *editors]:
                    from sqlalchemy import select

                    user = await s.scalar(
                        select(User).join(Account, Account.id == User.account_id).where(Account.username == name)
                    )
                    s.add(InstitutionMember(institution_account_id=inst.id, user_id=user.id,
                                            role="owner" if name == owner else "editor"))
                    token, plain, _ = await do_issue_token(s, user_id=user.id, application_id=None,
                                                           scopes="read write")
                    token.acting_account_id = inst.id
                    tokens[name] = plain
                tokens["institution_id"] = str(inst.id)
                await s.commit()
                return tokens
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_approval_required_post__invisible_until_approved(restartable: Restartable) -> None:
    server = restartable.start()
    olga, ed, citizen = (_register(server, n) for n in ("olga", "ed", "citizen"))
    tokens = _make_institution(restartable, "olga", ["ed"])
    ministry = tokens["institution_id"]
    as_ed = _api(server, tokens["ed"])
    draft = as_ed.status_post("heatwave advisory for all districts")
    assert RecordingSession.last is not None
    assert RecordingSession.last.json()["chaupal"]["state"] == "pending_approval"

    def visible() -> bool:
        public = citizen.timeline_public()
        own = citizen.account_statuses(ministry)
        found = citizen.search_v2("heatwave", result_type="statuses").statuses
        return any("heatwave" in s.content for s in [*public, *own, *found])

    assert not visible()
    drafts_url = f"{server.url}/api/chaupal/v1/institutions/{ministry}/drafts"
    headers = {"Authorization": f"Bearer {olga.access_token}"}
    listed = httpx.get(drafts_url, headers=headers).json()
    assert [d["id"] for d in listed] == [str(draft["id"])]
    own_approval = httpx.post(f"{drafts_url}/{draft['id']}/approve",
                              headers={"Authorization": f"Bearer {ed.access_token}"})
    assert own_approval.status_code == 403
    assert not visible()
    r = httpx.post(f"{drafts_url}/{draft['id']}/approve", headers=headers)
    assert r.status_code == 200, r.text
    assert visible()
