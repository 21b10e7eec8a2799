"""/directory and /leaderboards pages (server-rendered, both backends) and the SVG chart helper."""

from __future__ import annotations

from datetime import date, timedelta

from chaupal.actions.coverage import check_import_coverage
from chaupal.db import utcnow
from chaupal.models import ExternalAudience, ExternalPresence, FollowerSnapshot
from chaupal.web.charts import Series, line_chart, nice_ticks
from tests.gov.factories import make_account, make_holding, make_institution, make_status


async def _seed(session, settings):
    gov = await make_institution(session, "GovR", "Government of Ruritania", category="government",
                                 verification="government", jurisdiction="Ruritania")
    fin = await make_institution(session, "RuriFinance", "Ministry of <Finance>", parent=gov,
                                 followers=300, jurisdiction="Ruritania", verification="government")
    await make_status(session, fin, days_ago=1)
    hea = await make_institution(session, "RuriHealth", "Ministry of Health", parent=gov, followers=100,
                                 jurisdiction="Ruritania")
    minister = await make_account(session, "min_a", display_name="Minister A")
    await make_holding(session, fin, minister, role="minister", title="Finance Minister")
    today = utcnow().date()
    for i in range(1, 6):
        session.add(FollowerSnapshot(account_id=fin.id, day=today - timedelta(days=i), followers_count=300 - 20 * i))
        session.add(FollowerSnapshot(account_id=hea.id, day=today - timedelta(days=i), followers_count=100 + 250 * i))
    presence = ExternalPresence(account_id=hea.id, platform="VideoTube", url="https://video.example/health")
    session.add(presence)
    await session.flush()
    session.add(ExternalAudience(presence_id=presence.id, as_of=date(2026, 1, 1), followers=2_500_000,
                                 source="channel page"))
    await check_import_coverage(session, settings, """
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
""")
    await session.commit()


async def test_directory_page__tree_holder_and_coverage(client, session, settings):
    await _seed(session, settings)
    r = await client.get("/directory")
    assert r.status_code == 200
    html = r.text
    assert "Ministry of &lt;Finance&gt;" in html  # escaped
    assert "Finance Minister" in html and "Minister A" in html
    assert 'class="dir-tree"' in html  # children nested under the government
    assert "Coverage" in html and "Missing" in html and "Present, verified" in html
    r = await client.get("/directory", params={"q": "health", "category": "nonsense"})
    assert r.status_code == 200 and "Ministry of Health" in r.text and "RuriFinance" not in r.text.split("Coverage")[0]


async def test_leaderboards_page__ranks_chart_external_apart(client, session, settings):
    await _seed(session, settings)
    r = await client.get("/leaderboards", params={"category": "ministries", "period": "7d"})
    assert r.status_code == 200
    html = r.text
    assert "<svg" in html and "<polyline" in html
    board, external = html.split("Audience on other platforms", 1)
    assert "2,500,000" not in board and "2,500,000" in external  # never mixed into the ranking table
    assert "▲ 1" in board and "▼ 1" in board  # health led yesterday, finance leads now
    for params in ({"category": "ministers"}, {"category": "bogus", "period": "zz"}, {"period": "99999d"}):
        assert (await client.get("/leaderboards", params=params)).status_code == 200


def test_nice_ticks():
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(95) == [0, 25, 50, 75, 100] or nice_ticks(95)[-1] >= 95
    assert nice_ticks(4_800_000)[-1] >= 4_800_000


def test_line_chart__escapes_labels_and_handles_empty_and_single_points():
    d = date(2026, 1, 1)
    svg = line_chart([Series("<b>x</b>", [(d, 5)]), Series("y", [(d, 1), (d + timedelta(days=3), 9)])],
                     title="T & U")
    assert "&lt;b&gt;x&lt;/b&gt;" in svg and "<circle" in svg and "<polyline" in svg
    assert "T &amp; U" in svg and "style=" not in svg  # CSP: no inline styles
    assert "No data yet" in line_chart([], title="empty")
