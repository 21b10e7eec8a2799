"""Follow suggestions (GET /api/v2/suggestions, /api/v1/suggestions, DELETE to dismiss): graph
suggestions from the circle of trust, verified institutions by jurisdiction and topic, popular
accounts for cold starts, and every exclusion, on both backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from chaupal.actions.statuses import check_create_status
from chaupal.db import utcnow
from chaupal.insights.suggest.live import circle_edges
from chaupal.models import (
    Account,
    Block,
    Follow,
    FollowRequest,
    InstitutionProfile,
    Mute,
    SuggestionDismissal,
)
from tests.api.relation_helpers import count, db, set_fields


async def follow(app: Any, a: Any, b: Any) -> None:
    async with db(app) as s:
        s.add(Follow(account_id=a.account_id, target_account_id=b.account_id))
        target = await s.get(Account, b.account_id)
        target.followers_count += 1


async def ids_v1(client: Any, user: Any, **params: Any) -> list[str]:
    resp = await client.get("/api/v1/suggestions", params=params, headers=user.headers)
    assert resp.status_code == 200, resp.text
    return [a["id"] for a in resp.json()]


async def v2(client: Any, user: Any, **params: Any) -> dict[str, dict[str, Any]]:
    resp = await client.get("/api/v2/suggestions", params=params, headers=user.headers)
    assert resp.status_code == 200, resp.text
    return {s["account"]["id"]: s for s in resp.json()}


async def institution(make_user: Any, app: Any, name: str, jurisdiction: str, level: str = "state",
                      verified: bool = True) -> Any:
    user = await make_user(name, kind="institution", verification="government" if verified else None)
    async with db(app) as s:
        s.add(InstitutionProfile(account_id=user.account_id, category="department",
                                 jurisdiction=jurisdiction, jurisdiction_level=level))
    return user


@pytest.fixture
async def circle(app, make_user):
    """me -> a, b; a, b -> x (x is the friend-of-friends to suggest); c follows me."""
    me, a, b, x, c = [await make_user(n) for n in ("me", "a", "b", "x", "c")]
    for src, dst in ((me, a), (me, b), (a, x), (b, x), (c, me)):
        await follow(app, src, dst)
    return {"me": me, "a": a, "b": b, "x": x, "c": c}


async def test_v2__friend_of_friends_suggested_with_sources(client, circle):
    me, x = circle["me"], circle["x"]
    found = await v2(client, me)
    assert str(x.account_id) in found
    entry = found[str(x.account_id)]
    assert entry["sources"][0] == "friends_of_friends" and entry["source"] == "past_interactions"
    assert entry["sources"] == ["friends_of_friends", "most_followed"]  # x is popular too
    assert entry["account"]["acct"] == "x" and "chaupal" in entry["account"]
    assert str(circle["c"].account_id) in found  # follows me: a follow-back candidate
    assert str(me.account_id) not in found
    assert {str(circle["a"].account_id), str(circle["b"].account_id)}.isdisjoint(found)
    assert str(x.account_id) in await ids_v1(client, me)


async def _exclude(app: Any, kind: str, me: Any, x: Any) -> None:
    async with db(app) as s:
        if kind == "followed":
            s.add(Follow(account_id=me.account_id, target_account_id=x.account_id))
        elif kind == "requested":
            s.add(FollowRequest(account_id=me.account_id, target_account_id=x.account_id))
        elif kind == "blocking":
            s.add(Block(account_id=me.account_id, target_account_id=x.account_id))
        elif kind == "blocked":
            s.add(Block(account_id=x.account_id, target_account_id=me.account_id))
        elif kind == "muted":
            s.add(Mute(account_id=me.account_id, target_account_id=x.account_id))
        elif kind == "dismissed":
            s.add(SuggestionDismissal(account_id=me.account_id, target_account_id=x.account_id))
    if kind == "suspended":
        await set_fields(app, x.account_id, suspended_at=utcnow())
    elif kind == "not_discoverable":
        await set_fields(app, x.account_id, discoverable=False)


@pytest.mark.parametrize(
    "kind",
    ["followed", "requested", "blocking", "blocked", "muted", "dismissed", "suspended", "not_discoverable"],
)
async def test_exclusion__never_suggested(client, app, circle, kind):
    me, x = circle["me"], circle["x"]
    assert str(x.account_id) in await ids_v1(client, me)  # ranked and cached first
    await _exclude(app, kind, me, x)
    assert str(x.account_id) not in await ids_v1(client, me)  # exclusions apply despite the cache
    assert str(x.account_id) not in await v2(client, me)


async def test_expired_mute__suggested_again(client, app, circle):
    me, x = circle["me"], circle["x"]
    async with db(app) as s:
        s.add(Mute(account_id=me.account_id, target_account_id=x.account_id,
                   expires_at=utcnow() - timedelta(minutes=1)))
    assert str(x.account_id) in await ids_v1(client, me)


async def test_self__never_suggested_even_when_popular(client, app, make_user):
    me = await make_user("me")
    fans = [await make_user(f"fan{i}") for i in range(3)]
    for fan in fans:
        await follow(app, fan, me)
    assert str(me.account_id) not in await ids_v1(client, me)


async def test_dismiss__remembered_and_answers_empty_object_for_any_id(client, app, circle):
    me, x = circle["me"], circle["x"]
    resp = await client.delete(f"/api/v1/suggestions/{x.account_id}", headers=me.headers)
    assert resp.status_code == 200 and resp.json() == {}
    assert await count(app, SuggestionDismissal, SuggestionDismissal.account_id == me.account_id) == 1
    again = await client.delete(f"/api/v1/suggestions/{x.account_id}", headers=me.headers)
    assert again.json() == {}
    assert await count(app, SuggestionDismissal) == 1
    for junk in ("12345", "abc", "9" * 40):
        resp = await client.delete(f"/api/v1/suggestions/{junk}", headers=me.headers)
        assert resp.status_code == 200 and resp.json() == {}
    assert await count(app, SuggestionDismissal) == 1
    assert str(x.account_id) not in await ids_v1(client, me)


async def test_requires_a_user_token(client, circle):
    assert (await client.get("/api/v2/suggestions")).status_code == 401
    assert (await client.get("/api/v1/suggestions")).status_code == 401
    assert (await client.delete(f"/api/v1/suggestions/{circle['x'].account_id}")).status_code == 401


async def test_limit__default_max_and_bad_values(client, app, settings, make_user):
    me = await make_user("me")
    people = [await make_user(f"p{i}") for i in range(6)]
    for p in people[1:]:
        await follow(app, people[0], p)  # every p has a follower: popular fallback candidates
    await follow(app, people[1], people[0])
    settings.suggestions_max = 3
    assert len(await ids_v1(client, me, limit=2)) == 2
    assert len(await ids_v1(client, me, limit=50)) == 3
    assert len(await ids_v1(client, me)) == 3
    for bad in ("0", "-1", "x"):
        resp = await client.get("/api/v2/suggestions", params={"limit": bad}, headers=me.headers)
        assert 400 <= resp.status_code < 500


async def test_cold_start__popular_accounts_and_national_institutions(client, app, make_user):
    me = await make_user("newcomer")
    star, fan = await make_user("star"), await make_user("fan")
    await follow(app, fan, star)
    national = await institution(make_user, app, "ministry", "India", level="country")
    await institution(make_user, app, "statedept", "Kerala", level="state")
    await institution(make_user, app, "unverified", "India", level="country", verified=False)
    found = await v2(client, me)
    assert found[str(star.account_id)]["sources"] == ["most_followed"]
    assert found[str(star.account_id)]["source"] == "global"
    assert found[str(national.account_id)]["sources"][0] == "featured"
    assert found[str(national.account_id)]["source"] == "staff"
    names = {s["account"]["acct"] for s in found.values()}
    assert "statedept" not in names and "unverified" not in names


async def test_institutions__same_jurisdiction_as_followed_ones(client, app, make_user):
    me = await make_user("me")
    kerala_health = await institution(make_user, app, "keralahealth", "Kerala")
    kerala_transport = await institution(make_user, app, "keralatransport", "Kerala")
    punjab = await institution(make_user, app, "punjabtransport", "Punjab")
    await follow(app, me, kerala_health)
    found = await v2(client, me)
    assert "featured" in found[str(kerala_transport.account_id)]["sources"]
    assert str(punjab.account_id) not in found
    assert str(kerala_health.account_id) not in found  # already followed


async def test_institutions__topics_the_user_posts_in_any_script(client, app, settings, make_user):
    me = await make_user("farmer")
    agri = await institution(make_user, app, "agriculture", "Punjab")
    rail = await institution(make_user, app, "railways", "Punjab")
    async with db(app) as s:
        author = await s.get(Account, me.account_id)
        agri_account = await s.get(Account, agri.account_id)
        rail_account = await s.get(Account, rail.account_id)
        await check_create_status(s, settings, author, text="फसल का दाम #किसान", visibility="public")
        await check_create_status(s, settings, agri_account, text="नई योजना #किसान", visibility="public")
        await check_create_status(s, settings, rail_account, text="New trains #Railways", visibility="public")
    found = await v2(client, me)
    assert "featured" in found[str(agri.account_id)]["sources"]
    assert str(rail.account_id) not in found


async def test_blend__graph_first_with_an_institution_second(client, app, make_user, circle):
    me = circle["me"]
    national = await institution(make_user, app, "ministry", "India", level="country")
    await follow(app, me, await institution(make_user, app, "followedministry", "India", level="country"))
    order = await ids_v1(client, me)
    assert order.index(str(national.account_id)) == 1


async def test_cache__ranking_reused_until_ttl(client, app, settings, circle, make_user):
    me, a = circle["me"], circle["a"]
    newcomer = await make_user("newcomer")
    first = await ids_v1(client, me)
    await follow(app, a, newcomer)
    assert str(newcomer.account_id) not in first
    assert await ids_v1(client, me) == first  # cached ranking
    app.state.suggestion_cache.ttl = 0
    app.state.suggestion_cache.drop(me.account_id)
    assert str(newcomer.account_id) in await ids_v1(client, me)


async def test_circle_and_edges__capped_by_settings(app, settings, make_user):
    me = await make_user("me")
    others = [await make_user(f"o{i}") for i in range(6)]
    for o in others:
        await follow(app, me, o)
        for p in others:
            if p is not o:
                await follow(app, o, p)
    settings.suggest_circle_max = 2
    settings.suggest_edges_max = 8
    async with db(app) as s:
        edges = await circle_edges(s, settings, me.account_id)
    mine = [e for e in edges if e[0] == str(me.account_id)]
    assert len(mine) == 2
    assert len(edges) - len(mine) <= settings.suggest_edges_max


async def test_walk_steps_and_pool_settings__still_rank(client, app, settings, circle):
    settings.suggest_walk_steps = 1
    settings.suggest_pool = 1
    settings.suggest_institutions_max = 0
    found = await ids_v1(client, circle["me"])
    assert str(circle["x"].account_id) in found


async def test_dismissal_row__cascades_with_account(app, circle):
    me, x = circle["me"], circle["x"]
    async with db(app) as s:
        s.add(SuggestionDismissal(account_id=me.account_id, target_account_id=x.account_id))
    async with db(app) as s:
        await s.delete(await s.get(Account, x.account_id))
    async with db(app) as s:
        assert (await s.scalars(select(SuggestionDismissal))).all() == []


async def test_cache_settings__ttl_and_users_bound(client, app, settings, make_user, circle):
    settings.suggest_cache_users = 1
    settings.suggest_cache_seconds = 3600
    other = await make_user("other")
    await ids_v1(client, circle["me"])
    await ids_v1(client, other)
    cache = app.state.suggestion_cache
    assert cache.ttl == 3600 and cache.size == 1
    assert cache.get(circle["me"].account_id) is None  # evicted: one user kept
    assert cache.get(other.account_id) is not None


async def test_cache_seconds_zero__ranks_afresh_each_time(client, app, settings, circle, make_user):
    settings.suggest_cache_seconds = 0
    first = await ids_v1(client, circle["me"])
    newcomer = await make_user("newcomer")
    await follow(app, circle["a"], newcomer)
    assert str(newcomer.account_id) not in first
    assert str(newcomer.account_id) in await ids_v1(client, circle["me"])


async def test_suggestions_default__setting(client, app, settings, make_user):
    me = await make_user("me")
    hub = await make_user("hub")
    for i in range(4):
        await follow(app, hub, await make_user(f"s{i}"))
    settings.suggestions_default = 2
    assert len(await ids_v1(client, me)) == 2
    assert len(await v2(client, me)) == 2
