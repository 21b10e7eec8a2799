"""Leaderboards: categories, ranks, daily rank change from snapshots, idempotent snapshots,
and external audiences kept apart from on-platform followers."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from chaupal.actions.snapshots import do_record_follower_snapshots
from chaupal.db import utcnow
from chaupal.gov.leaderboards import competition_ranks, leaderboard
from chaupal.models import ExternalAudience, ExternalPresence, FollowerSnapshot
from tests.gov.factories import make_account, make_holding, make_institution


async def _world(session):
    gov = await make_institution(session, "Gov", "Government", category="government")
    pmo = await make_institution(session, "PMO", "PMO", category="office", parent=gov, followers=50)
    fin = await make_institution(session, "MinFin", "Finance", parent=gov, followers=300)
    hea = await make_institution(session, "MinHealth", "Health", parent=gov, followers=200)
    edu = await make_institution(session, "MinEdu", "Education", parent=gov, followers=100)
    pm = await make_account(session, "pm", followers=5000)
    m1 = await make_account(session, "minister_a", followers=40)
    m2 = await make_account(session, "minister_b", followers=60)
    ex = await make_account(session, "ex_minister", followers=9000)
    await make_holding(session, pmo, pm, role="head_of_government", title="Prime Minister")
    await make_holding(session, fin, m1, role="minister", title="Finance Minister")
    await make_holding(session, hea, m2, role="minister", title="Health Minister")
    await make_holding(session, edu, ex, role="minister", title="Education Minister",
                       ended_on=utcnow().date() - timedelta(days=3))
    await make_account(session, "PartyA", kind="party", followers=10)
    await make_account(session, "PartyB", kind="party", followers=20)
    await make_account(session, "News1", kind="media", followers=7)
    await session.commit()
    return {"fin": fin, "hea": hea, "edu": edu, "pm": pm, "m1": m1, "m2": m2}


def _accts(board):
    return [e["account"]["acct"] for e in board["entries"]]


async def test_leaderboard__categories(session, settings):
    await _world(session)
    board = lambda c: leaderboard(session, settings, c, period_days=30, limit=20)
    assert _accts(await board("ministries")) == ["MinFin", "MinHealth", "MinEdu"]
    assert _accts(await board("heads_of_government")) == ["pm"]
    ministers = await board("ministers")
    assert _accts(ministers) == ["minister_b", "minister_a"]  # the former minister is not listed
    assert ministers["entries"][0]["title"] == "Health Minister"
    assert _accts(await board("parties")) == ["PartyB", "PartyA"]
    assert _accts(await board("media")) == ["News1"]


def test_competition_ranks__ties_share_a_rank():
    assert competition_ranks({1: 10, 2: 30, 3: 30, 4: 5}) == {2: 1, 3: 1, 1: 3, 4: 4}


async def test_leaderboard__rank_change_from_yesterdays_snapshot(session, settings):
    w = await _world(session)
    today = utcnow().date()
    yesterday = today - timedelta(days=1)
    # Yesterday: Education led, Finance was last.
    counts = {w["fin"].id: 90, w["hea"].id: 150, w["edu"].id: 160}
    for account_id, n in counts.items():
        session.add(FollowerSnapshot(account_id=account_id, day=yesterday, followers_count=n))
    session.add(FollowerSnapshot(account_id=w["fin"].id, day=today - timedelta(days=10), followers_count=10))
    await session.commit()
    board = await leaderboard(session, settings, "ministries", period_days=30, limit=20)
    rows = {e["account"]["acct"]: e for e in board["entries"]}
    assert (rows["MinFin"]["rank"], rows["MinFin"]["previous_rank"], rows["MinFin"]["rank_change"]) == (1, 3, 2)
    assert (rows["MinHealth"]["rank"], rows["MinHealth"]["rank_change"]) == (2, 0)
    assert (rows["MinEdu"]["rank"], rows["MinEdu"]["rank_change"]) == (3, -2)
    assert rows["MinFin"]["followers_change"] == 210
    assert rows["MinFin"]["growth"] == 290  # since the first snapshot in the period
    assert [p["followers"] for p in rows["MinFin"]["series"]] == [10, 90, 300]
    assert board["compared_with"] == yesterday.isoformat()


async def test_leaderboard__no_snapshot_yesterday__no_rank_change(session, settings):
    await _world(session)
    board = await leaderboard(session, settings, "ministries", period_days=30, limit=20)
    assert all(e["rank_change"] is None and e["growth"] is None for e in board["entries"])


async def test_snapshots__idempotent_upsert_and_selection(session, settings):
    w = await _world(session)
    await make_account(session, "citizen", followers=3)
    await make_account(session, "popular", followers=settings.snapshot_follower_threshold)
    await make_account(session, "verified_person", verification="notable")
    await session.commit()
    day = date(2026, 1, 5)
    first = await do_record_follower_snapshots(session, settings, day)
    await session.commit()
    w["fin"].followers_count = 333
    await session.commit()
    second = await do_record_follower_snapshots(session, settings, day)
    await session.commit()
    assert first == second
    rows = list(await session.scalars(select(FollowerSnapshot).where(FollowerSnapshot.day == day)))
    assert len(rows) == first
    tracked = {r.account_id: r.followers_count for r in rows}
    assert tracked[w["fin"].id] == 333  # updated in place, not duplicated
    assert w["pm"].id in tracked  # 5000 >= threshold
    accts = {a for a in tracked}
    from chaupal.models import Account

    names = set(await session.scalars(select(Account.username).where(Account.id.in_(accts))))
    assert {"popular", "verified_person", "PartyA", "News1", "Gov"} <= names
    assert "citizen" not in names and "minister_a" not in names  # persons below the threshold


async def test_snapshots__snapshot_follower_threshold_setting__enforced(session, settings):
    await make_account(session, "someone", followers=50)
    await session.commit()
    low = settings.model_copy(update={"snapshot_follower_threshold": 50})
    assert await do_record_follower_snapshots(session, settings, date(2026, 1, 1)) == 0
    assert await do_record_follower_snapshots(session, low, date(2026, 1, 1)) == 1


async def test_leaderboard__external_audience_separate(session, settings):
    w = await _world(session)
    presence = ExternalPresence(account_id=w["edu"].id, platform="X", url="https://x.example/edu")
    session.add(presence)
    await session.flush()
    session.add(ExternalAudience(presence_id=presence.id, as_of=date(2026, 1, 1), followers=10, source="a"))
    session.add(ExternalAudience(presence_id=presence.id, as_of=date(2026, 2, 1),
                                 followers=1_000_000, source="platform page"))
    await session.commit()
    board = await leaderboard(session, settings, "ministries", period_days=30, limit=20)
    edu = board["entries"][-1]
    assert edu["account"]["acct"] == "MinEdu" and edu["rank"] == 3  # a million elsewhere changes nothing
    assert edu["followers_count"] == 100
    assert edu["external_presences"] == [{
        "id": str(presence.id), "platform": "X", "url": "https://x.example/edu", "verified_at": None,
        "followers": 1_000_000, "as_of": "2026-02-01", "source": "platform page",
    }]
    assert "Never added" in board["external_note"]


async def test_leaderboards_api__params(client, session, settings):
    await _world(session)
    r = await client.get("/api/chaupal/v1/leaderboards", params={"category": "ministries", "period": "7d", "limit": 2})
    assert r.status_code == 200
    body = r.json()
    assert body["period_days"] == 7 and len(body["entries"]) == 2 and body["total"] == 3
    for bad in ({"category": "kings"}, {"period": "0d"}, {"period": "x"}, {"period": "9999d"}):
        assert (await client.get("/api/chaupal/v1/leaderboards", params=bad)).status_code == 422


async def test_leaderboards_api__size_and_period_settings__enforced(client, session, settings, app):
    await _world(session)
    app.state.settings = settings.model_copy(
        update={"leaderboard_size_max": 1, "leaderboard_period_days_max": 7}
    )
    r = await client.get("/api/chaupal/v1/leaderboards", params={"limit": 50})
    assert len(r.json()["entries"]) == 1
    assert (await client.get("/api/chaupal/v1/leaderboards", params={"period": "8d"})).status_code == 422
    assert (await client.get("/api/chaupal/v1/leaderboards")).json()["period_days"] == 7  # default capped


async def test_follower_snapshots_job__registered_recurring_and_run_by_the_runner(app, session, settings):
    from chaupal.jobs import HANDLERS, RECURRING, JobRunner, enqueue

    runner = JobRunner(app.state.sessions, settings)  # loads the handler modules
    assert "follower_snapshots" in HANDLERS and RECURRING["follower_snapshots"] == 3600
    party = await make_account(session, "PartyJ", kind="party", followers=12)
    await enqueue(session, "follower_snapshots", {})
    await session.commit()
    assert await runner.run_until_idle() >= 1
    row = await session.get(FollowerSnapshot, (party.id, utcnow().date()))
    assert row is not None and row.followers_count == 12
