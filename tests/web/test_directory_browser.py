"""The directory and leaderboard pages in Chromium against a real `chaupal serve`, on a
database seeded through the models and actions: the hierarchy, coverage, ranks, the SVG
growth chart and the separately labelled external audiences. Screenshots go to test-artifacts/."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.e2e import conftest as e2e

WAIT_MS = 15_000
COVERAGE_FILE = """
government:
  key: ruritania
  name: Government of Ruritania
  jurisdiction: Ruritania
  username: GovR
  entities:
    - key: r.finance
      name: Ministry of Finance
      username: RuriFinance
    - key: r.defence
      name: Ministry of Defence
"""


async def seed(database_url: str, data_dir: str) -> None:
    """Institutions, a minister, a week of follower snapshots, an external presence, coverage."""
    from chaupal.actions.coverage import check_import_coverage
    from chaupal.config import Settings
    from chaupal.db import make_engine, make_sessionmaker, utcnow
    from chaupal.models import ExternalAudience, ExternalPresence, FollowerSnapshot
    from tests.gov.factories import make_account, make_holding, make_institution, make_status

    settings = Settings(database_url=database_url, data_dir=Path(data_dir))
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            gov = await make_institution(session, "GovR", "Government of Ruritania", category="government",
                                         verification="government", jurisdiction="Ruritania", followers=500)
            fin = await make_institution(session, "RuriFinance", "Ministry of Finance", parent=gov,
                                         followers=300, jurisdiction="Ruritania", verification="government")
            hea = await make_institution(session, "RuriHealth", "Ministry of Health", parent=gov,
                                         followers=100, jurisdiction="Ruritania")
            await make_status(session, fin, days_ago=1)
            minister = await make_account(session, "min_a", display_name="Minister Asha")
            await make_holding(session, fin, minister, role="minister", title="Finance Minister")
            today = utcnow().date()
            for i in range(1, 8):
                day = today - timedelta(days=i)
                session.add(FollowerSnapshot(account_id=fin.id, day=day, followers_count=300 - 30 * i))
                session.add(FollowerSnapshot(account_id=hea.id, day=day, followers_count=100 + 250 * i))
            presence = ExternalPresence(account_id=hea.id, platform="VideoTube", url="https://video.example/h")
            session.add(presence)
            await session.flush()
            session.add(ExternalAudience(presence_id=presence.id, as_of=date(2026, 1, 1),
                                         followers=2_500_000, source="channel page"))
            await check_import_coverage(session, settings, COVERAGE_FILE)
            await session.commit()
    finally:
        await engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def gov_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[e2e.Server]:
    """A migrated, seeded database and `chaupal serve` on it (seeded in a subprocess: the
    module's Playwright loop may already be running in this thread)."""
    backend = request.param
    data_dir = tmp_path_factory.mktemp(f"gov-{backend}")
    pg_name = None
    if backend == "postgres":
        pg_name = f"chaupal_gov_{uuid.uuid4().hex[:12]}"
        try:
            e2e._pg_admin(f'CREATE DATABASE "{pg_name}"')
        except Exception as exc:  # noqa: BLE001
            e2e._service_missing("PostgreSQL", exc)
        base = e2e.PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        database_url = f"{base}/{pg_name}"
    else:
        database_url = f"sqlite+aiosqlite:///{data_dir / 'chaupal.sqlite3'}"
    port = e2e._free_port()
    env = e2e._server_env(data_dir, database_url, port)
    log_path = data_dir / "server.log"
    process = None
    try:
        e2e._migrate(env, log_path)
        code = ("import asyncio, sys; from tests.web.test_directory_browser import seed; "
                "asyncio.run(seed(sys.argv[1], sys.argv[2]))")
        done = subprocess.run([sys.executable, "-c", code, database_url, str(data_dir)], check=False,
                              cwd=e2e.ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [e2e._chaupal_cli(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env, cwd=e2e.ROOT, stdout=log, stderr=subprocess.STDOUT,
            )
        server = e2e.Server(backend, f"http://127.0.0.1:{port}", port, log_path, process)
        e2e._wait_until_ready(server)
        yield server
    finally:
        if process is not None:
            e2e._stop(process)
        if pg_name is not None:
            e2e._pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def test_directory_and_leaderboards__render_with_chart(gov_server, chromium, artifacts):
    base = gov_server.url
    shots = artifacts / gov_server.backend
    shots.mkdir(exist_ok=True)
    ctx = chromium.new_context(viewport={"width": 1100, "height": 1000})
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "404" not in m.text else None)
        missing: list[str] = []
        page.on("response", lambda r: missing.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
        page.goto(f"{base}/directory")
        page.get_by_role("heading", level=1, name="Government directory").wait_for(timeout=WAIT_MS)
        tree = page.locator("ul.dir-tree.root")
        assert "Government of Ruritania" in tree.inner_text()
        assert "Ministry of Health" in page.locator("ul.dir-tree.root ul.dir-tree").inner_text()
        assert "Finance Minister" in tree.inner_text()
        coverage = page.locator("table.coverage").inner_text()
        assert "Missing" in coverage and "Present, verified" in coverage
        page.get_by_label("Name or username").fill("health")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url("**/directory?**")
        assert "Ministry of Finance" not in page.locator("ul.dir-tree.root").inner_text()
        page.screenshot(path=shots / "directory.png", full_page=True)

        page.goto(f"{base}/leaderboards?category=ministries&period=7d")
        chart = page.locator("figure.chart svg")
        chart.wait_for(timeout=WAIT_MS)
        assert chart.locator("polyline").count() == 2
        assert chart.bounding_box()["width"] > 300
        table = page.locator("table.leaderboard").inner_text()
        assert "Ministry of Finance" in table and "▲ 1" in table
        assert "2,500,000" not in table
        external = page.locator("section.external")
        assert "not counted" in external.inner_text() and "2,500,000" in external.inner_text()
        page.get_by_role("link", name="Ministers").click()
        page.wait_for_url("**category=ministers**")
        assert "Minister Asha" in page.locator("table.leaderboard").inner_text()
        page.goto(f"{base}/leaderboards?category=ministries&period=7d")
        page.screenshot(path=shots / "leaderboards.png", full_page=True)
        assert not errors, errors  # e.g. a CSP violation
        assert not missing, missing  # every stylesheet, script and image loads
    finally:
        ctx.close()
