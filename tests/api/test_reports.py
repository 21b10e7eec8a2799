"""Reports (issue 7): `POST /api/v1/reports` in Mastodon's shape, bad input as 4xx, forwarding
a `Flag` to a remote target's server from the instance actor, and the moderators' admin API."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from chaupal.models import Job, ModerationFlag, Status, User
from tests.federation.helpers_send import make_remote

REPORT_KEYS = {
    "id", "action_taken", "action_taken_at", "category", "comment", "forwarded", "created_at",
    "status_ids", "rule_ids", "target_account",
}
ADMIN_KEYS = {
    "id", "action_taken", "action_taken_at", "category", "comment", "forwarded", "created_at",
    "updated_at", "account", "target_account", "assigned_account", "action_taken_by_account",
    "statuses", "rules",
}


async def _jobs(app: Any) -> list[dict[str, Any]]:
    async with app.state.sessions() as s:
        jobs = (await s.scalars(select(Job).where(Job.kind.in_(("ap_distribute", "ap_deliver"))))).all()
        return [{"kind": j.kind, **j.payload} for j in jobs]


async def _mod(app: Any, make_user: Any, name: str = "mod") -> Any:
    mod = await make_user(name, scopes="read write follow admin:read admin:write")
    async with app.state.sessions() as s:
        (await s.get(User, mod.user_id)).role = "moderator"
        await s.commit()
    return mod


async def _post(client: Any, user: Any, text: str) -> str:
    r = await client.post("/api/v1/statuses", json={"status": text}, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()["id"]


async def test_report__local_account_with_statuses_in_mastodons_shape(app, client, settings, make_user):
    alice = await make_user("alice")
    spammer = await make_user("spammer")
    sid = await _post(client, spammer, "buy now")
    r = await client.post(
        "/api/v1/reports",
        data={"account_id": str(spammer.account_id), "status_ids[]": [sid], "comment": "Spam account", "category": "spam"},
        headers=alice.headers,
    )
    assert r.status_code == 200, r.text
    rep = r.json()
    assert set(rep) == REPORT_KEYS
    assert (rep["action_taken"], rep["action_taken_at"], rep["category"], rep["comment"], rep["forwarded"]) == (
        False, None, "spam", "Spam account", False
    )
    assert rep["status_ids"] == [sid] and rep["rule_ids"] is None
    assert rep["target_account"]["id"] == str(spammer.account_id)
    async with app.state.sessions() as s:
        flag = await s.get(ModerationFlag, int(rep["id"]))
    assert flag.kind == "report" and flag.account_id == spammer.account_id
    assert flag.related_account_id == alice.account_id
    assert flag.detail["reporter_account_id"] == str(alice.account_id) and flag.detail["status_ids"] == [sid]
    assert await _jobs(app) == []  # local target: nothing federated

    r = await client.post("/api/v1/reports", json={"account_id": spammer.account_id}, headers=alice.headers)
    assert r.status_code == 200 and r.json()["category"] == "other" and r.json()["status_ids"] == []


async def test_report__errors(app, client, settings, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    other = await _post(client, alice, "mine, not bob's")
    r = await client.post("/api/v1/statuses", json={"status": "followers only", "visibility": "private"}, headers=bob.headers)
    hidden = r.json()["id"]
    bad = [
        ({}, 422),
        ({"account_id": "999999"}, 404),
        ({"account_id": "abc"}, 404),
        ({"account_id": "1" * 30}, 404),
        ({"account_id": "9" * 20}, 404),
        ({"account_id": "9" * 19}, 404),
        ({"account_id": "١٢٣"}, 404),  # non-ASCII digits
        ({"account_id": str(bob.account_id), "status_ids": ["9" * 20]}, 404),
        ({"account_id": str(bob.account_id), "status_ids": [other]}, 404),  # not bob's post
        ({"account_id": str(bob.account_id), "status_ids": ["x1"]}, 404),
        ({"account_id": str(bob.account_id), "status_ids": [hidden]}, 404),  # alice may not see it
        ({"account_id": str(bob.account_id), "status_ids": {"a": 1}}, 422),
        ({"account_id": str(bob.account_id), "comment": "x" * (settings.max_report_comment_chars + 1)}, 422),
        ({"account_id": str(bob.account_id), "category": "rude"}, 422),
        ({"account_id": str(bob.account_id), "rule_ids": ["1"]}, 422),  # no server rules
        ({"account_id": str(bob.account_id), "forward": "maybe"}, 422),
        ({"account_id": ["1", "2"]}, 422),
    ]
    for body, code in bad:
        r = await client.post("/api/v1/reports", json=body, headers=alice.headers)
        assert r.status_code == code and "error" in r.json(), (body, r.status_code, r.text)
    r = await client.post("/api/v1/reports", content=b"{nope", headers={**alice.headers, "content-type": "application/json"})
    assert r.status_code == 400 and "error" in r.json()
    r = await client.post("/api/v1/reports", json={"account_id": str(bob.account_id)})
    assert r.status_code == 401 and "error" in r.json()
    reader = await make_user("reader", scopes="read")
    r = await client.post("/api/v1/reports", json={"account_id": str(bob.account_id)}, headers=reader.headers)
    assert r.status_code == 403
    granular = await make_user("granular", scopes="write:reports")
    r = await client.post("/api/v1/reports", json={"account_id": str(bob.account_id)}, headers=granular.headers)
    assert r.status_code == 200, r.text
    ok = await client.post(
        "/api/v1/reports",
        json={"account_id": str(bob.account_id), "comment": "y" * settings.max_report_comment_chars},
        headers=alice.headers,
    )
    assert ok.status_code == 200
    async with app.state.sessions() as s:
        assert len((await s.scalars(select(ModerationFlag).where(ModerationFlag.kind == "report"))).all()) == 2


async def test_report__forward_to_remote_server_from_instance_actor(app, client, settings, make_user):
    alice = await make_user("alice")
    troll = await make_remote(app, "troll", "far.example")
    async with app.state.sessions() as s:
        post = Status(account_id=troll.id, uri=f"{troll.uri}/statuses/7", content="<p>nasty</p>", local=False)
        s.add(post)
        await s.commit()
        post_id, post_uri = post.id, post.uri

    r = await client.post(
        "/api/v1/reports",
        json={"account_id": str(troll.id), "status_ids": [str(post_id)], "comment": "abuse", "forward": False},
        headers=alice.headers,
    )
    assert r.status_code == 200 and r.json()["forwarded"] is False
    assert await _jobs(app) == []  # not asked to forward: nothing leaves

    r = await client.post(
        "/api/v1/reports",
        json={"account_id": str(troll.id), "status_ids": [str(post_id)], "comment": "abuse", "forward": True},
        headers=alice.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["forwarded"] is True
    [job] = await _jobs(app)
    assert job["kind"] == "ap_distribute" and job["inboxes"] == ["https://far.example/inbox"]
    assert job["to_followers"] is False
    flag = job["activity"]
    assert flag["type"] == "Flag" and flag["actor"] == f"{settings.base_url}/actor"
    assert flag["object"] == [troll.uri, post_uri] and flag["content"] == "abuse"
    text = json.dumps(job)
    assert "alice" not in text and str(alice.account_id) not in text  # the reporter stays anonymous
    async with app.state.sessions() as s:
        from chaupal.models import Account

        actor = await s.get(Account, int(job["actor_id"]))
    assert actor.username == "instance.actor" and actor.private_key


async def test_report__forward_of_a_local_target_or_without_federation_sends_nothing(app, client, settings, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    r = await client.post("/api/v1/reports", json={"account_id": str(bob.account_id), "forward": True}, headers=alice.headers)
    assert r.status_code == 200 and r.json()["forwarded"] is False
    settings.federation_enabled = False
    troll = await make_remote(app, "troll", "far.example")
    r = await client.post("/api/v1/reports", json={"account_id": str(troll.id), "forward": True}, headers=alice.headers)
    assert r.status_code == 200 and r.json()["forwarded"] is False
    assert await _jobs(app) == []


async def test_admin_reports__list_show_resolve_reopen(app, client, settings, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    mod = await _mod(app, make_user)
    sid = await _post(client, bob, "offensive")
    first = (await client.post("/api/v1/reports", json={"account_id": str(bob.account_id), "status_ids": [sid], "comment": "c1"}, headers=alice.headers)).json()
    second = (await client.post("/api/v1/reports", json={"account_id": str(alice.account_id), "comment": "c2"}, headers=bob.headers)).json()

    r = await client.get("/api/v1/admin/reports", headers=mod.headers)
    assert r.status_code == 200, r.text
    listed = r.json()
    assert [x["id"] for x in listed] == [second["id"], first["id"]]
    one = listed[1]
    assert set(one) == ADMIN_KEYS
    assert one["account"]["id"] == str(alice.account_id) and one["target_account"]["id"] == str(bob.account_id)
    assert one["account"]["account"]["username"] == "alice"
    assert [s["id"] for s in one["statuses"]] == [sid] and one["rules"] == [] and one["assigned_account"] is None
    assert (await client.get("/api/v1/admin/reports?limit=1", headers=mod.headers)).json()[0]["id"] == second["id"]
    filtered = await client.get(f"/api/v1/admin/reports?target_account_id={bob.account_id}", headers=mod.headers)
    assert [x["id"] for x in filtered.json()] == [first["id"]]

    r = await client.post(f"/api/v1/admin/reports/{first['id']}/resolve", headers=mod.headers)
    assert r.status_code == 200 and r.json()["action_taken"] is True and r.json()["action_taken_at"]
    assert r.json()["action_taken_by_account"]["id"] == str(mod.account_id)
    assert [x["id"] for x in (await client.get("/api/v1/admin/reports", headers=mod.headers)).json()] == [second["id"]]
    assert [x["id"] for x in (await client.get("/api/v1/admin/reports?resolved=true", headers=mod.headers)).json()] == [first["id"]]
    shown = (await client.get(f"/api/v1/admin/reports/{first['id']}", headers=mod.headers)).json()
    assert shown["action_taken"] is True

    r = await client.post(f"/api/v1/admin/reports/{first['id']}/reopen", headers=mod.headers)
    assert r.status_code == 200 and r.json()["action_taken"] is False and r.json()["action_taken_by_account"] is None
    assert len((await client.get("/api/v1/admin/reports", headers=mod.headers)).json()) == 2


async def test_admin_reports__errors_and_non_staff(app, client, settings, make_user):
    alice = await make_user("alice", scopes="read write admin:read admin:write")
    mod = await _mod(app, make_user)
    for path in ("/api/v1/admin/reports/abc", "/api/v1/admin/reports/999999", "/api/v1/admin/reports/" + "9" * 30, "/api/v1/admin/reports/" + "9" * 20):
        r = await client.get(path, headers=mod.headers)
        assert r.status_code == 404 and "error" in r.json()
    r = await client.post("/api/v1/admin/reports/xyz/resolve", headers=mod.headers)
    assert r.status_code == 404
    assert (await client.get("/api/v1/admin/reports?resolved=perhaps", headers=mod.headers)).status_code == 422
    assert (await client.get("/api/v1/admin/reports?account_id=zz", headers=mod.headers)).status_code == 404
    assert (await client.get("/api/v1/admin/reports?target_account_id=" + "9" * 20, headers=mod.headers)).status_code == 404
    assert (await client.get("/api/v1/admin/reports", headers=alice.headers)).status_code == 403
    assert (await client.get("/api/v1/admin/reports")).status_code == 401
    # An impersonation flag is not a report.
    async with app.state.sessions() as s:
        flag = ModerationFlag(account_id=alice.account_id, kind="impersonation", detail={})
        s.add(flag)
        await s.commit()
        fid = flag.id
    assert (await client.get(f"/api/v1/admin/reports/{fid}", headers=mod.headers)).status_code == 404
    assert (await client.get("/api/v1/admin/reports", headers=mod.headers)).json() == []


async def test_report__forwarded_flag_is_delivered_once_signed_by_the_instance_actor(app, client, settings, make_user, monkeypatch):
    from chaupal.federation import delivery, policy
    from chaupal.jobs import JobRunner

    posts: list[tuple[str, bytes, str]] = []

    async def fake_send(_settings: Any, inbox: str, body: bytes, key_id: str, pem: str) -> int:
        assert pem.startswith("-----BEGIN PRIVATE KEY-----")
        posts.append((inbox, body, key_id))
        return 202

    monkeypatch.setattr(delivery, "send", fake_send)
    policy.clear_cache()
    alice = await make_user("alice")
    troll = await make_remote(app, "troll", "far.example")
    await make_remote(app, "friend", "far.example", follows=alice.account_id)  # same server, not told
    r = await client.post("/api/v1/reports", json={"account_id": str(troll.id), "comment": "abuse", "forward": "true"}, headers=alice.headers)
    assert r.status_code == 200 and r.json()["forwarded"] is True
    await JobRunner(app.state.sessions, settings, name="t").run_until_idle()
    [(inbox, body, key_id)] = posts
    assert inbox == "https://far.example/inbox" and key_id == f"{settings.base_url}/actor#main-key"
    sent = json.loads(body)
    assert sent["type"] == "Flag" and sent["object"] == [troll.uri] and sent["content"] == "abuse"
    assert "alice" not in body.decode()
    policy.clear_cache()
