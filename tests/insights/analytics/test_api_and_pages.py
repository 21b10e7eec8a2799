"""/api/chaupal/v1/accounts/:id/analytics and /@user/analytics: who may read them (owner,
analyst and the account itself; not editor, outsider or anonymous), periods, quarters, CSV,
bad input; opens counted from the API and the thread page, batched in memory."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from chaupal.insights.analytics.job import demo_backfill
from chaupal.insights.analytics.opens import flush_opens
from chaupal.lib.ids import new_id
from chaupal.models import Favourite, Follow, Status, StatusOpen
from tests.gov.staff_world import delegate, make_world
from tests.web.flows import sign_in

URL = "/api/chaupal/v1/accounts/{}/analytics"


async def seed(app: Any, settings: Any, world: Any) -> int:
    """A ministry post 40 days ago and one yesterday, followers, favourites; rolled up."""
    now = datetime.now(UTC)
    async with app.state.sessions() as s:
        for n, user in enumerate((world.outsider, world.owner, world.analyst)):
            at = now - timedelta(days=60 - n)
            s.add(Follow(id=new_id(at), account_id=user.account_id, target_account_id=world.ministry_id, created_at=at))
        ids = []
        for days, text in ((40, "Budget announced"), (1, "Vaccination drive")):
            at = now - timedelta(days=days)
            st = Status(id=new_id(at), account_id=world.ministry_id, text=text, created_at=at)
            s.add(st)
            await s.flush()
            ids.append(st.id)
            fat = at + timedelta(minutes=5)
            s.add(Favourite(id=new_id(fat), account_id=world.outsider.account_id, status_id=st.id, created_at=fat))
        await s.flush()
        await demo_backfill(s, settings, now)
        await s.commit()
    return ids[1]


@pytest.fixture
async def world(app: Any, client: httpx.AsyncClient, make_user: Any, settings: Any) -> Any:
    w = await make_world(app, client, make_user)
    w.post_id = await seed(app, settings, w)
    return w


async def test_api__roles__owner_analyst_self_allowed_others_refused(client: httpx.AsyncClient, world: Any) -> None:
    url = URL.format(world.ministry_id)
    for user, status in ((world.owner, 200), (world.analyst, 200), (world.editor, 403), (world.outsider, 403)):
        r = await client.get(url, headers=user.headers)
        assert r.status_code == status, (user.username, r.text)
    assert (await client.get(url)).status_code == 401  # anonymous: no token
    r = await client.get(URL.format(world.outsider.account_id), headers=world.outsider.headers)
    assert r.status_code == 200  # everyone sees their own
    r = await client.get(URL.format(world.ministry_id), headers=world.owner.headers)
    body = r.json()
    assert body["totals"]["posts"] == 1 and body["totals"]["favourites"] == 1
    assert body["totals"]["reach"] == 3 and body["totals"]["engagement_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert body["totals"]["followers"] == 3 and len(body["series"]) == 30
    assert body["top_posts"][0]["excerpt"] == "Vaccination drive"
    assert body["best_days"] and body["worst_days"]


async def test_api__delegated_tokens__judged_by_role(client: httpx.AsyncClient, world: Any) -> None:
    url = URL.format(world.ministry_id)
    r = await delegate(client, world, world.owner, scopes="read")
    assert r.status_code == 200, r.text
    assert (await client.get(url, headers={"Authorization": f"Bearer {r.json()['access_token']}"})).status_code == 200
    r = await delegate(client, world, world.editor, scopes="read")
    assert r.status_code == 200, r.text
    assert (await client.get(url, headers={"Authorization": f"Bearer {r.json()['access_token']}"})).status_code == 403


async def test_api__quarters_csv_and_bad_input(client: httpx.AsyncClient, world: Any, settings: Any) -> None:
    url, h = URL.format(world.ministry_id), world.owner.headers
    today = datetime.now(UTC).date()
    first = (today - timedelta(days=100)).isoformat()
    r = await client.get(url, params={"from": first, "to": today.isoformat(), "granularity": "quarter"}, headers=h)
    assert r.status_code == 200, r.text
    quarters = r.json()["series"]
    assert quarters and all("change" in q and q["period"][4:6] == "-Q" for q in quarters)
    assert sum(q["posts"] for q in quarters) >= 2
    r = await client.get(url, params={"from": first, "format": "csv"}, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.strip().splitlines()
    assert lines[0].startswith("period,posts,replies") and len(lines) == 1 + 101 + 1
    too_long = (today - timedelta(days=settings.analytics_period_days_max)).isoformat()
    for params in ({"from": "yesterday"}, {"from": today.isoformat(), "to": first}, {"granularity": "week"},
                   {"format": "xml"}, {"from": too_long}, {"to": "2026-02-30"}, {"from[]": "x"}):
        r = await client.get(url, params=params, headers=h)
        assert r.status_code == 422, (params, r.text)
        assert "error" in r.json()
    assert (await client.get(URL.format("nope"), headers=h)).status_code == 404
    assert (await client.get(URL.format(10**30), headers=h)).status_code == 404


@contextlib.asynccontextmanager
async def _web(app: Any, username: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://chaupal.test") as c:
        r = await sign_in(c, username)
        assert r.status_code in (302, 303), r.text
        yield c


async def test_web_dashboard__roles_charts_exports(app: Any, client: httpx.AsyncClient, world: Any) -> None:
    page = "/@ministry/analytics"
    for user, status in ((world.owner, 200), (world.analyst, 200), (world.editor, 403), (world.outsider, 403)):
        async with _web(app, user.username) as c:
            r = await c.get(page)
            assert r.status_code == status, (user.username, r.status_code)
            if status == 200:
                assert r.text.count("<svg") >= 3 and "Vaccination drive" in r.text
                assert "analytics.csv" in r.text and "analytics.json" in r.text
                csv = await c.get("/@ministry/analytics.csv")
                assert csv.status_code == 200 and csv.text.startswith("period,")
                js = await c.get("/@ministry/analytics.json?granularity=quarter")
                assert js.status_code == 200 and js.json()["granularity"] == "quarter"
                assert (await c.get(page + "?from=bad")).status_code == 422
            else:
                assert (await c.get("/@ministry/analytics.csv")).status_code == 403
    r = await client.get(page)  # anonymous: sent to sign in
    assert r.status_code == 303 and "/auth/sign_in" in r.headers["location"]
    async with _web(app, world.outsider.username) as c:
        assert (await c.get(f"/@{world.outsider.username}/analytics")).status_code == 200
        assert (await c.get("/@nobody_here/analytics")).status_code == 404


async def opens_of(app: Any, sid: int) -> tuple[int, int] | None:
    async with app.state.read_sessions() as s:
        row = await s.scalar(select(StatusOpen).where(StatusOpen.status_id == sid))
        return None if row is None else (row.opens, row.account_id)


async def test_opens__api_and_thread_page__counted_in_batches(app: Any, client: httpx.AsyncClient, world: Any) -> None:
    sid = world.post_id
    for _ in range(3):
        assert (await client.get(f"/api/v1/statuses/{sid}", headers=world.outsider.headers)).status_code == 200
    await client.get(f"/api/v1/statuses/{sid}")  # anonymous readers count too
    async with _web(app, world.outsider.username) as c:
        assert (await c.get(f"/@ministry/{sid}")).status_code == 200
    assert await opens_of(app, sid) is None  # nothing written per request
    assert await flush_opens(app) == 1
    assert await opens_of(app, sid) == (5, world.ministry_id)
    r = await client.post("/api/v1/statuses", json={"status": "mine"}, headers=world.outsider.headers)
    own = int(r.json()["id"])
    assert (await client.get(f"/api/v1/statuses/{own}", headers=world.outsider.headers)).status_code == 200
    assert await flush_opens(app) == 0  # the author's own opens are not counted
    assert await opens_of(app, own) is None
