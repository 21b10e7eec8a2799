"""Moving an account (issue 7): aliases, the Move to a local or remote account, its checks
(alias, password, cooldown), what is federated, and local followers switched over.
Remote accounts are made directly in the database; the fresh fetch of a remote target's actor
is monkeypatched."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from chaupal.db import utcnow
from chaupal.federation import delivery, policy, remote
from chaupal.jobs import JobRunner
from chaupal.models import Account, Follow, FollowRequest, Job
from tests.federation.helpers_send import make_remote

ALIASES = "/api/chaupal/v1/accounts/aliases"
MIGRATION = "/api/chaupal/v1/accounts/migration"


class FakeNetwork:
    """Records each delivery POST (inbox, activity) instead of sending it."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, settings: Any, inbox: str, body: bytes, key_id: str, pem: str) -> int:
        self.posts.append((inbox, json.loads(body)))
        return 202


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> FakeNetwork:
    fake = FakeNetwork()
    monkeypatch.setattr(delivery, "send", fake)
    policy.clear_cache()
    yield fake
    policy.clear_cache()


def _serve_actor(monkeypatch: pytest.MonkeyPatch, also_known_as: list[str]) -> list[str]:
    """The remote target's origin answers with this alsoKnownAs; returns the URIs fetched."""
    fetched: list[str] = []

    async def fake_fetch_actor(settings: Any, uri: str) -> Any:
        fetched.append(uri)
        return SimpleNamespace(also_known_as=list(also_known_as))

    monkeypatch.setattr(remote, "fetch_actor", fake_fetch_actor)
    return fetched


async def _account(app: Any, account_id: int) -> Account:
    async with app.state.sessions() as s:
        account = await s.get(Account, account_id)
        assert account is not None
        return account


async def _follows(app: Any, model: Any, target_id: int) -> set[int]:
    async with app.state.sessions() as s:
        rows = await s.scalars(select(model.account_id).where(model.target_account_id == target_id))
        return set(rows.all())


async def _move(client: Any, user: Any, target: str, password: str = "password123") -> Any:
    return await client.post(
        MIGRATION, json={"target_acct": target, "current_password": password}, headers=user.headers
    )


async def test_aliases__add_list_remove(app, client, settings, make_user):
    old = await make_user("oldme")
    new = await make_user("newme")
    r = await client.post(ALIASES, json={"acct": "oldme"}, headers=new.headers)
    assert r.status_code == 200, r.text
    uri = f"{settings.base_url}/users/oldme"
    assert [a["uri"] for a in r.json()] == [uri] and r.json()[0]["account"]["id"] == str(old.account_id)
    r = await client.get(ALIASES, headers=new.headers)
    assert [a["uri"] for a in r.json()] == [uri]
    r = await client.get("/users/newme", headers={"Accept": "application/activity+json"})
    assert r.json()["alsoKnownAs"] == [uri]
    r = await client.request("DELETE", ALIASES, json={"acct": "oldme"}, headers=new.headers)
    assert r.status_code == 200 and r.json() == []
    r = await client.request("DELETE", ALIASES, json={"acct": "oldme"}, headers=new.headers)
    assert r.status_code == 404 and "error" in r.json()


async def test_aliases__self_unknown_and_limit__refused(app, client, settings, make_user):
    me = await make_user("me")
    await make_user("a1")
    await make_user("a2")
    r = await client.post(ALIASES, json={"acct": "me"}, headers=me.headers)
    assert r.status_code == 422 and "error" in r.json()
    r = await client.post(ALIASES, json={"acct": "nobody"}, headers=me.headers)
    assert r.status_code == 404
    settings.account_max_aliases = 1
    assert (await client.post(ALIASES, json={"acct": "a1"}, headers=me.headers)).status_code == 200
    r = await client.post(ALIASES, json={"acct": "a2"}, headers=me.headers)
    assert r.status_code == 422 and "at most 1" in r.json()["error"]


async def test_move_to_local__switches_local_followers_and_sets_moved(app, client, settings, make_user, network):
    old = await make_user("oldme")
    new = await make_user("newme")
    bob = await make_user("bob")
    carl = await make_user("carl")
    for follower in (bob, carl):
        r = await client.post(f"/api/v1/accounts/{old.account_id}/follow", headers=follower.headers)
        assert r.status_code == 200
    await client.post(ALIASES, json={"acct": "oldme"}, headers=new.headers)

    r = await _move(client, old, "newme")
    assert r.status_code == 200, r.text
    assert r.json()["followers_switched"] == 2
    assert await _follows(app, Follow, old.account_id) == set()
    assert await _follows(app, Follow, new.account_id) == {bob.account_id, carl.account_id}
    moved = await _account(app, old.account_id)
    assert moved.moved_to_account_id == new.account_id and moved.moved_at is not None
    assert (moved.following_count, (await _account(app, new.account_id)).followers_count) == (0, 2)
    r = await client.get(f"/api/v1/accounts/{old.account_id}", headers=bob.headers)
    assert r.json()["moved"]["id"] == str(new.account_id)
    r = await client.get("/users/oldme", headers={"Accept": "application/activity+json"})
    assert r.json()["movedTo"] == f"{settings.base_url}/users/newme"
    async with app.state.sessions() as s:  # no remote followers: nothing to federate
        assert (await s.scalars(select(Job).where(Job.kind == "ap_distribute"))).all() == []


async def test_move__target_without_alias__refused(app, client, make_user):
    old = await make_user("oldme")
    await make_user("newme")
    r = await _move(client, old, "newme")
    assert r.status_code == 422 and "alias" in r.json()["error"]
    assert (await _account(app, old.account_id)).moved_to_account_id is None


async def test_move__wrong_or_missing_password__refused(app, client, make_user):
    old = await make_user("oldme")
    new = await make_user("newme")
    await client.post(ALIASES, json={"acct": "oldme"}, headers=new.headers)
    for password in ("wrong-password", ""):
        r = await _move(client, old, "newme", password)
        assert r.status_code == 422 and "password" in r.json()["error"]
    assert (await _account(app, old.account_id)).moved_to_account_id is None


async def test_move__again_within_cooldown__refused_then_allowed(app, client, settings, make_user):
    old = await make_user("oldme")
    first = await make_user("first")
    second = await make_user("second")
    for target in (first, second):
        await client.post(ALIASES, json={"acct": "oldme"}, headers=target.headers)
    assert (await _move(client, old, "first")).status_code == 200
    r = await _move(client, old, "second")
    assert r.status_code == 422 and "once every 30 days" in r.json()["error"]
    async with app.state.sessions() as s:  # the cooldown has passed
        account = await s.get(Account, old.account_id)
        account.moved_at = utcnow() - timedelta(seconds=settings.account_move_cooldown_seconds + 1)
        await s.commit()
    assert (await _move(client, old, "second")).status_code == 200
    assert (await _account(app, old.account_id)).moved_to_account_id == second.account_id


async def test_move__delegated_or_read_only_token__refused(app, client, make_user):
    old = await make_user("oldme", scopes="read")
    r = await _move(client, old, "x")
    assert r.status_code == 403


async def test_move_to_remote__one_move_per_follower_server_and_local_followers_follow(
    app, client, settings, make_user, network, monkeypatch
):
    old = await make_user("oldme")
    bob = await make_user("bob")
    await client.post(f"/api/v1/accounts/{old.account_id}/follow", headers=bob.headers)
    await make_remote(app, "carol", "one.example", follows=old.account_id)
    await make_remote(app, "dave", "one.example", follows=old.account_id)
    await make_remote(app, "erin", "two.example", shared=False, follows=old.account_id)
    target = await make_remote(app, "newme", "three.example")
    fetched = _serve_actor(monkeypatch, [f"{settings.base_url}/users/oldme"])

    r = await _move(client, old, "newme@three.example")
    assert r.status_code == 200, r.text
    assert fetched == [target.uri]  # the alias is checked against a fresh copy from its origin
    assert (await _account(app, old.account_id)).moved_to_account_id == target.id
    assert await _follows(app, Follow, old.account_id) == {
        a.id for a in await _remotes(app, "one.example", "two.example")
    }  # remote followers move on their own servers' side, on the Move
    assert await _follows(app, FollowRequest, target.id) == {bob.account_id}

    await JobRunner(app.state.sessions, settings, name="t").run_until_idle()
    moves = sorted(inbox for inbox, activity in network.posts if activity["type"] == "Move")
    assert moves == ["https://one.example/inbox", "https://two.example/users/erin/inbox"]
    move = next(a for _, a in network.posts if a["type"] == "Move")
    assert (move["actor"], move["object"], move["target"]) == (
        f"{settings.base_url}/users/oldme", f"{settings.base_url}/users/oldme", target.uri
    )
    follows = [(inbox, a) for inbox, a in network.posts if a["type"] == "Follow"]
    assert [(i, a["actor"], a["object"]) for i, a in follows] == [
        (target.inbox_url, f"{settings.base_url}/users/bob", target.uri)
    ]


async def test_move_to_remote__target_not_aliasing_us__refused(app, client, settings, make_user, monkeypatch):
    old = await make_user("oldme")
    await make_remote(app, "newme", "three.example")
    _serve_actor(monkeypatch, ["https://elsewhere.example/users/someone"])
    r = await _move(client, old, "newme@three.example")
    assert r.status_code == 422 and "alias" in r.json()["error"]
    async with app.state.sessions() as s:
        assert (await s.scalars(select(Job))).all() == []


async def _remotes(app: Any, *domains: str) -> list[Account]:
    async with app.state.sessions() as s:
        return list((await s.scalars(select(Account).where(Account.domain.in_(domains)))).all())
