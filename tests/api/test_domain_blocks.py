"""Domain policy over the API: admin domain blocks/allows (Mastodon's shapes, staff only,
subdomain coverage, conflicts) and a user's own domain blocks (paged list, timelines and
notifications filtered, followers there removed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from chaupal.federation import policy
from chaupal.models import Follow, Status, User
from tests.federation.helpers_send import make_remote


async def _mod(app: Any, make_user: Any, name: str = "mod") -> Any:
    mod = await make_user(name, scopes="read write follow admin:read admin:write")
    async with app.state.sessions() as s:
        (await s.get(User, mod.user_id)).role = "moderator"
        await s.commit()
    return mod


async def test_admin_domain_blocks__crud_in_mastodons_shape(app, client, settings, make_user):
    mod = await _mod(app, make_user)
    h = mod.headers
    r = await client.post("/api/v1/admin/domain_blocks", json={"domain": "Bad.Example.", "severity": "suspend", "public_comment": "spam"}, headers=h)
    assert r.status_code == 200, r.text
    block = r.json()
    assert set(block) == {"id", "domain", "digest", "created_at", "severity", "reject_media", "reject_reports", "private_comment", "public_comment", "obfuscate"}
    assert (block["domain"], block["severity"], block["public_comment"]) == ("bad.example", "suspend", "spam")
    async with app.state.sessions() as s:
        pol = await policy.domain_policy(s, settings, "social.bad.example")
    assert not pol.allowed and pol.severity == "suspend"

    r = await client.post("/api/v1/admin/domain_blocks", json={"domain": "bad.example"}, headers=h)
    assert r.status_code == 422 and "already blocked" in r.json()["error"]
    r = await client.post("/api/v1/admin/domain_blocks", json={"domain": "sub.bad.example", "severity": "silence"}, headers=h)
    assert r.status_code == 422  # the parent's stricter block already covers it

    assert (await client.get(f"/api/v1/admin/domain_blocks/{block['id']}", headers=h)).json() == block
    r = await client.put(f"/api/v1/admin/domain_blocks/{block['id']}", json={"severity": "silence", "reject_media": True}, headers=h)
    assert r.status_code == 200 and r.json()["severity"] == "silence" and r.json()["reject_media"] is True
    async with app.state.sessions() as s:
        pol = await policy.domain_policy(s, settings, "bad.example")
    assert pol.allowed and pol.silenced and pol.reject_media

    r = await client.get("/api/v1/admin/domain_blocks", headers=h)
    assert [b["domain"] for b in r.json()] == ["bad.example"]
    assert (await client.delete(f"/api/v1/admin/domain_blocks/{block['id']}", headers=h)).json() == {}
    assert (await client.get(f"/api/v1/admin/domain_blocks/{block['id']}", headers=h)).status_code == 404
    async with app.state.sessions() as s:
        assert (await policy.domain_policy(s, settings, "bad.example")) == policy.OPEN


async def test_admin_domain_blocks__bad_input_and_non_staff(app, client, settings, make_user):
    mod = await _mod(app, make_user)
    for body in ({}, {"domain": ""}, {"domain": "no spaces.example"}, {"domain": "x.example", "severity": "nuke"}, {"domain": settings.domain}):
        r = await client.post("/api/v1/admin/domain_blocks", json=body, headers=mod.headers)
        assert r.status_code == 422 and "error" in r.json(), (body, r.text)
    assert (await client.get("/api/v1/admin/domain_blocks/xyz", headers=mod.headers)).status_code == 404
    user = await make_user("plain", scopes="read write admin:read admin:write")
    assert (await client.get("/api/v1/admin/domain_blocks", headers=user.headers)).status_code == 403
    assert (await client.post("/api/v1/admin/domain_allows", json={"domain": "a.example"}, headers=user.headers)).status_code == 403


async def test_admin_domain_allows__allowlist_mode(app, client, settings, make_user):
    mod = await _mod(app, make_user)
    settings.federation_mode = "allowlist"
    r = await client.post("/api/v1/admin/domain_allows", json={"domain": "friends.example"}, headers=mod.headers)
    assert r.status_code == 200 and set(r.json()) == {"id", "domain", "created_at"}
    again = await client.post("/api/v1/admin/domain_allows", json={"domain": "FRIENDS.example"}, headers=mod.headers)
    assert again.json()["id"] == r.json()["id"]
    async with app.state.sessions() as s:
        assert await policy.is_allowed(s, settings, "friends.example")
        assert not await policy.is_allowed(s, settings, "strangers.example")
    assert [a["domain"] for a in (await client.get("/api/v1/admin/domain_allows", headers=mod.headers)).json()] == ["friends.example"]
    assert (await client.get(f"/api/v1/admin/domain_allows/{r.json()['id']}", headers=mod.headers)).status_code == 200
    assert (await client.delete(f"/api/v1/admin/domain_allows/{r.json()['id']}", headers=mod.headers)).json() == {}
    async with app.state.sessions() as s:
        assert not await policy.is_allowed(s, settings, "friends.example")


async def test_user_domain_blocks__paged_list_and_timeline_and_followers(app, client, settings, make_user):
    alice = await make_user("alice")
    carol = await make_remote(app, "carol", "noisy.example", follows=alice.account_id)
    async with app.state.sessions() as s:
        s.add(Follow(account_id=alice.account_id, target_account_id=carol.id))
        s.add(Status(account_id=carol.id, uri=f"{carol.uri}/statuses/1", content="<p>noise</p>", local=False))
        await s.commit()
    home = await client.get("/api/v1/timelines/home", headers=alice.headers)
    assert [s["content"] for s in home.json()] == ["<p>noise</p>"]

    for d in ("noisy.example", "b.example", "c.example"):
        r = await client.post("/api/v1/domain_blocks", data={"domain": d}, headers=alice.headers)
        assert r.status_code == 200 and r.json() == {}
    assert (await client.post("/api/v1/domain_blocks", data={"domain": "noisy.example"}, headers=alice.headers)).status_code == 200
    r = await client.get("/api/v1/domain_blocks", params={"limit": 2}, headers=alice.headers)
    assert r.json() == ["c.example", "b.example"] and 'rel="next"' in r.headers["link"]

    home = await client.get("/api/v1/timelines/home", headers=alice.headers)
    assert home.json() == []
    async with app.state.sessions() as s:  # carol no longer follows alice (alice still follows carol)
        rows = (await s.scalars(select(Follow).where(Follow.account_id == carol.id))).all()
        assert rows == []

    r = await client.request("DELETE", "/api/v1/domain_blocks", params={"domain": "noisy.example"}, headers=alice.headers)
    assert r.status_code == 200
    assert (await client.get("/api/v1/domain_blocks", headers=alice.headers)).json() == ["c.example", "b.example"]
    assert (await client.post("/api/v1/domain_blocks", data={"domain": ""}, headers=alice.headers)).status_code == 422


async def test_silenced_domain__hidden_from_the_public_timeline_not_from_followers(app, client, settings, make_user):
    alice = await make_user("alice")
    carol = await make_remote(app, "carol", "quiet.example")
    async with app.state.sessions() as s:
        s.add(Follow(account_id=alice.account_id, target_account_id=carol.id))
        s.add(Status(account_id=carol.id, uri=f"{carol.uri}/statuses/1", content="<p>quiet</p>", local=False))
        await s.commit()
    assert len((await client.get("/api/v1/timelines/public")).json()) == 1
    mod = await _mod(app, make_user)
    r = await client.post("/api/v1/admin/domain_blocks", json={"domain": "quiet.example", "severity": "silence"}, headers=mod.headers)
    assert r.status_code == 200
    assert (await client.get("/api/v1/timelines/public")).json() == []
    assert (await client.get("/api/v1/timelines/public", headers=alice.headers)).json() == []
    assert len((await client.get("/api/v1/timelines/home", headers=alice.headers)).json()) == 1
