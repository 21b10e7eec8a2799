"""Trends (GET /api/v1/trends/tags|statuses|links) and their moderation
(/api/v1/admin/trends/...): review before trending, distinct accounts, decay, languages, paging,
hashtags in Devanagari, links from status text, the refresh job and its settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from chaupal.actions.interactions import check_favourite, check_reblog
from chaupal.actions.statuses import check_create_status
from chaupal.actions.trends import do_refresh_trends
from chaupal.db import utcnow
from chaupal.jobs import HANDLERS, RECURRING, JobRunner, enqueue, load_handlers
from chaupal.models import Account, Block, Status, Tag, TrendReview, TrendScore, User
from tests.api.relation_helpers import count, db

MOD_SCOPES = "read write follow admin:read admin:write"


async def post(app: Any, settings: Any, user: Any, text: str, *, hours_ago: float = 1, **kw: Any) -> Status:
    async with db(app) as s:
        author = await s.get(Account, user.account_id)
        return await check_create_status(
            s, settings, author, text=text, visibility=kw.pop("visibility", "public"),
            created_at=utcnow() - timedelta(hours=hours_ago), **kw,
        )


async def refresh(app: Any, settings: Any) -> None:
    async with db(app) as s:
        await do_refresh_trends(s, settings)


async def moderator(app: Any, make_user: Any, name: str = "mod") -> Any:
    mod = await make_user(name, scopes=MOD_SCOPES)
    async with db(app) as s:
        user = await s.get(User, mod.user_id)
        user.role = "moderator"
    return mod


async def tag_id(app: Any, name: str) -> int:
    async with db(app) as s:
        return (await s.scalar(select(Tag.id).where(Tag.name == name)))


async def names(client: Any, path: str = "/api/v1/trends/tags", **kw: Any) -> list[str]:
    resp = await client.get(path, **kw)
    assert resp.status_code == 200, resp.text
    return [t["name"] for t in resp.json()]


@pytest.fixture
async def people(make_user):
    return [await make_user(f"citizen{i}") for i in range(4)]


@pytest.fixture
async def tagged(app, settings, people):
    """#किसान by three accounts in Hindi, #Budget by two in English, #Spam by one account 20 times."""
    for p in people[:3]:
        await post(app, settings, p, "फसल का सही दाम #किसान", language="hi")
    for p in people[:2]:
        await post(app, settings, p, "Reading the #Budget today", language="en")
    for i in range(20):
        await post(app, settings, people[3], f"buy now {i} #Spam", language="en")
    await refresh(app, settings)


async def test_tags__unreviewed_never_trend_publicly(client, tagged):
    assert await names(client) == []


async def test_tags__moderator_sees_all_and_approves_devanagari_tag(client, app, make_user, tagged):
    mod = await moderator(app, make_user)
    resp = await client.get("/api/v1/admin/trends/tags", headers=mod.headers)
    assert resp.status_code == 200, resp.text
    listed = {t["name"]: t for t in resp.json()}
    assert set(listed) == {"किसान", "Budget"}  # #Spam: one account, below trends_min_accounts
    assert listed["किसान"]["requires_review"] is True and listed["किसान"]["trendable"] is False
    assert listed["किसान"]["usable"] is True and len(listed["किसान"]["history"]) == 7
    resp = await client.post(f"/api/v1/admin/trends/tags/{listed['किसान']['id']}/approve", headers=mod.headers)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["trendable"], resp.json()["requires_review"]) == (True, False)
    trending = (await client.get("/api/v1/trends/tags")).json()
    assert [t["name"] for t in trending] == ["किसान"]
    assert trending[0]["url"].endswith("/tags/किसान")
    assert trending[0]["history"][0]["accounts"] in ("3", "0")  # today, unless posts crossed midnight
    assert await names(client, "/api/v1/trends") == ["किसान"]  # the deprecated alias


async def test_tags__rejected_never_trend_even_with_auto_approve(client, app, settings, make_user, tagged):
    mod = await moderator(app, make_user)
    budget = await tag_id(app, "Budget")
    resp = await client.post(f"/api/v1/admin/trends/tags/{budget}/reject", headers=mod.headers)
    assert resp.status_code == 200 and resp.json()["trendable"] is False
    assert resp.json()["requires_review"] is False
    settings.trends_auto_approve = True
    assert await names(client) == ["किसान"]  # unreviewed trends with auto-approve; rejected does not
    approve = await client.post(f"/api/v1/admin/trends/tags/{budget}/approve", headers=mod.headers)
    assert approve.status_code == 200
    assert await names(client) == ["किसान", "Budget"]
    async with db(app) as s:
        review = await s.scalar(select(TrendReview).where(TrendReview.item_id == budget))
        assert review.trendable is True and review.reviewed_by_account_id == mod.account_id


async def test_tags__language_param_and_accept_language(client, settings, tagged):
    settings.trends_auto_approve = True
    assert await names(client) == ["किसान", "Budget"]  # three accounts before two
    assert await names(client, params={"language": "hi"}) == ["किसान"]
    assert await names(client, params={"language": "en"}) == ["Budget"]
    assert await names(client, headers={"Accept-Language": "en-IN,en;q=0.9"}) == ["Budget"]
    assert await names(client, headers={"Accept-Language": "fr;q=0.2, hi;q=0.8"}) == ["किसान"]
    assert await names(client, params={"language": "hi"}, headers={"Accept-Language": "en"}) == ["किसान"]
    assert await names(client, params={"language": "de"}) == []
    assert await names(client, params={"lang": "hi"}) == ["किसान"]  # Mastodon.py's name for it


async def test_tags__decay_puts_recent_before_larger_but_old(client, app, settings, people):
    settings.trends_auto_approve = True
    for p in people[:3]:
        await post(app, settings, p, "#Monsoon arrived", hours_ago=96)
    for p in people[:2]:
        await post(app, settings, p, "#Cyclone warning", hours_ago=1)
    await refresh(app, settings)
    assert await names(client) == ["Cyclone", "Monsoon"]
    settings.trends_half_life_hours = 10_000.0  # almost no decay: more accounts win
    await refresh(app, settings)
    assert await names(client) == ["Monsoon", "Cyclone"]


async def test_tags__window_days_and_min_accounts_settings(client, app, settings, people):
    settings.trends_auto_approve = True
    for p in people[:2]:
        await post(app, settings, p, "#Old news", hours_ago=24 * 3)
        await post(app, settings, p, "#Fresh news", hours_ago=1)
    settings.trends_window_days = 2
    await refresh(app, settings)
    assert await names(client) == ["Fresh"]
    settings.trends_min_accounts = 3
    await refresh(app, settings)
    assert await names(client) == []


async def test_tags__max_statuses_and_kept_settings(client, app, settings, people):
    settings.trends_auto_approve = True
    for i, name in enumerate(("One", "Two", "Three")):
        for p in people[:2]:
            await post(app, settings, p, f"#{name}", hours_ago=10 - i)
    settings.trends_max_statuses = 2  # only the two newest statuses: #Three
    await refresh(app, settings)
    assert await names(client) == ["Three"]
    settings.trends_max_statuses = 1000
    settings.trends_kept = 2
    await refresh(app, settings)
    assert await names(client) == ["Three", "Two"]
    assert await count(app, TrendScore, TrendScore.kind == "tag", TrendScore.language == "") == 2


async def test_tags__limit_offset_and_link_header(client, app, settings, people):
    settings.trends_auto_approve = True
    settings.trends_tags_max = 3
    for i, name in enumerate(("A1", "B2", "C3", "D4")):
        for p in people[: 2 + (i == 0)]:
            await post(app, settings, p, f"#{name}", hours_ago=1 + i)
    await refresh(app, settings)
    first = await client.get("/api/v1/trends/tags", params={"limit": 2})
    assert [t["name"] for t in first.json()] == ["A1", "B2"]
    assert 'offset=2' in first.headers["link"] and 'rel="next"' in first.headers["link"]
    second = await client.get("/api/v1/trends/tags", params={"limit": 2, "offset": 2})
    assert [t["name"] for t in second.json()] == ["C3", "D4"]
    assert 'rel="prev"' in second.headers["link"]
    assert len((await client.get("/api/v1/trends/tags", params={"limit": 50})).json()) == 3
    settings.trends_tags_default = 1
    assert len((await client.get("/api/v1/trends/tags")).json()) == 1
    for bad in ({"limit": "0"}, {"limit": "x"}, {"offset": "-1"}, {"offset": "9" * 30}):
        resp = await client.get("/api/v1/trends/tags", params=bad)
        assert 400 <= resp.status_code < 500


async def test_tags__suspended_or_undiscoverable_authors_do_not_count(client, app, settings, people):
    settings.trends_auto_approve = True
    for p in people[:2]:
        await post(app, settings, p, "#Rally today")
    async with db(app) as s:
        (await s.get(Account, people[1].account_id)).discoverable = False
    await refresh(app, settings)
    assert await names(client) == []


async def test_statuses__interactions_by_distinct_accounts_after_review(client, app, settings, make_user, people):
    mod = await moderator(app, make_user)
    author = await make_user("author")
    popular = await post(app, settings, author, "A public announcement")
    quiet = await post(app, settings, author, "Nobody cares")
    async with db(app) as s:
        for p in people[:3]:
            fan = await s.get(Account, p.account_id)
            await check_favourite(s, fan, await s.get(Status, popular.id))
        await check_reblog(s, settings, await s.get(Account, people[0].account_id), await s.get(Status, popular.id))
        await check_favourite(s, await s.get(Account, people[0].account_id), await s.get(Status, quiet.id))
    await refresh(app, settings)
    assert (await client.get("/api/v1/trends/statuses")).json() == []
    listed = (await client.get("/api/v1/admin/trends/statuses", headers=mod.headers)).json()
    assert [s["id"] for s in listed] == [str(popular.id)] and listed[0]["requires_review"] is True
    resp = await client.post(f"/api/v1/admin/trends/statuses/{popular.id}/approve", headers=mod.headers)
    assert resp.status_code == 200 and resp.json()["trendable"] is True
    assert [s["id"] for s in (await client.get("/api/v1/trends/statuses")).json()] == [str(popular.id)]
    async with db(app) as s:  # the author blocks a viewer: hidden from that viewer only
        s.add(Block(account_id=author.account_id, target_account_id=people[3].account_id))
    hidden = await client.get("/api/v1/trends/statuses", headers=people[3].headers)
    assert hidden.json() == []
    assert len((await client.get("/api/v1/trends/statuses", headers=people[2].headers)).json()) == 1


async def test_statuses__replies_sensitive_and_own_favourites_not_eligible(client, app, settings, make_user, people):
    settings.trends_auto_approve = True
    author = await make_user("author")
    root = await post(app, settings, author, "root")
    reply = await post(app, settings, author, "a reply", in_reply_to_id=root.id)
    sensitive = await post(app, settings, author, "careful", sensitive=True)
    async with db(app) as s:
        for target in (reply, sensitive):
            for p in people[:3]:
                await check_favourite(s, await s.get(Account, p.account_id), await s.get(Status, target.id))
        await check_favourite(s, await s.get(Account, author.account_id), await s.get(Status, root.id))
    await refresh(app, settings)
    assert (await client.get("/api/v1/trends/statuses")).json() == []


async def test_links__from_status_text_without_fetching(client, app, settings, make_user, people):
    mod = await moderator(app, make_user)
    url = "https://www.example.gov.in/schemes/pm-kisan?year=2026"
    for p in people[:3]:
        await post(app, settings, p, f"Apply here {url}#apply", language="hi")
    await post(app, settings, people[0], "Also http://one-account.example/page")
    await refresh(app, settings)
    assert (await client.get("/api/v1/trends/links")).json() == []
    listed = (await client.get("/api/v1/admin/trends/links", headers=mod.headers)).json()
    assert [link["url"] for link in listed] == [url]
    assert listed[0]["requires_review"] is True
    resp = await client.post(f"/api/v1/admin/trends/links/{listed[0]['id']}/approve", headers=mod.headers)
    assert resp.status_code == 200, resp.text
    links = (await client.get("/api/v1/trends/links")).json()
    assert len(links) == 1
    card = links[0]
    assert card["url"] == url and card["type"] == "link"
    assert card["provider_name"] == "example.gov.in" and card["provider_url"] == "https://www.example.gov.in"
    assert card["title"] == url.split("://")[1] and card["image"] is None and card["description"] == ""
    assert len(card["history"]) == 7 and {"day", "uses", "accounts"} <= set(card["history"][0])
    assert [c["url"] for c in (await client.get("/api/v1/trends/links", params={"language": "hi"})).json()] == [url]
    assert (await client.get("/api/v1/trends/links", params={"language": "en"})).json() == []


async def test_admin_routes__staff_only_and_unknown_ids(client, app, make_user, tagged):
    citizen = await make_user("citizen", scopes=MOD_SCOPES)
    mod = await moderator(app, make_user)
    kisan = await tag_id(app, "किसान")
    assert (await client.get("/api/v1/admin/trends/tags")).status_code == 401
    assert (await client.get("/api/v1/admin/trends/tags", headers=citizen.headers)).status_code == 403
    assert (await client.post(f"/api/v1/admin/trends/tags/{kisan}/approve", headers=citizen.headers)).status_code == 403
    reader = await make_user("reader", scopes="read admin:read")
    async with db(app) as s:
        (await s.get(User, reader.user_id)).role = "admin"
    assert (await client.get("/api/v1/admin/trends/tags", headers=reader.headers)).status_code == 200
    assert (await client.post(f"/api/v1/admin/trends/tags/{kisan}/approve", headers=reader.headers)).status_code == 403
    for kind in ("tags", "links", "statuses"):
        for junk in ("12345", "abc", "9" * 25):
            resp = await client.post(f"/api/v1/admin/trends/{kind}/{junk}/approve", headers=mod.headers)
            assert resp.status_code == 404, (kind, junk, resp.text)
    assert await count(app, TrendReview) == 0


async def test_refresh_job__registered_recurring_and_runs(app, settings, people):
    load_handlers()
    assert "trends_refresh" in HANDLERS and RECURRING["trends_refresh"] > 0
    for p in people[:2]:
        await post(app, settings, p, "#Jobs work")
    async with db(app) as s:
        await enqueue(s, "trends_refresh", {})
    runner = JobRunner(app.state.sessions, settings, name="test")
    assert await runner.run_due() >= 1
    assert await count(app, TrendScore, TrendScore.kind == "tag") >= 1


async def test_statuses_and_links__limit_settings(client, app, settings, make_user, people):
    settings.trends_auto_approve = True
    author = await make_user("author")
    for i in range(2):
        status = await post(app, settings, author, f"news {i}")
        async with db(app) as s:
            for p in people[:2]:
                await check_favourite(s, await s.get(Account, p.account_id), await s.get(Status, status.id))
        for p in people[:2]:
            await post(app, settings, p, f"see https://example.org/{i}")
    await refresh(app, settings)
    assert len((await client.get("/api/v1/trends/statuses")).json()) == 2
    assert len((await client.get("/api/v1/trends/links")).json()) == 2
    settings.trends_statuses_default = settings.trends_links_default = 1
    assert len((await client.get("/api/v1/trends/statuses")).json()) == 1
    assert len((await client.get("/api/v1/trends/links")).json()) == 1
    settings.trends_statuses_max = settings.trends_links_max = 1
    assert len((await client.get("/api/v1/trends/statuses", params={"limit": 40})).json()) == 1
    assert len((await client.get("/api/v1/trends/links", params={"limit": 20})).json()) == 1
