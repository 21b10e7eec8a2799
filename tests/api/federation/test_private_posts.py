"""Followers-only posts by URL: served (Note and Create) to a GET signed by a remote account that
follows the author, as Mastodon does; 404 to anyone else — unsigned, non-followers, the other
server's instance actor, a blocked follower or domain — and direct posts never."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from chaupal.models import Account, Block, Follow
from chaupal.models.federation import AccountDomainBlock
from tests.api.federation.test_signed_fetch import AS, signed_get
from tests.federation.inbox_helpers import RemoteActor, network, new_actor  # noqa: F401


async def _post(client: Any, user: Any, text: str, visibility: str) -> str:
    r = await client.post("/api/v1/statuses", json={"status": text, "visibility": visibility}, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()["id"]


async def _known(client: Any, app: Any, actor: RemoteActor) -> int:
    """Make us store `actor` (its first signed GET fetches its key) and return its account id."""
    assert (await client.get("/users/alice", headers=signed_get("/users/alice", actor))).status_code == 200
    async with app.state.sessions() as s:
        return (await s.scalars(select(Account.id).where(Account.uri == actor.uri))).one()


async def _follow(app: Any, follower_id: int, target_id: int) -> None:
    async with app.state.sessions() as s:
        s.add(Follow(account_id=follower_id, target_account_id=target_id))
        await s.commit()


async def _setup(app: Any, client: Any, make_user: Any, network: Any) -> tuple[Any, RemoteActor, int]:  # noqa: F811
    alice = await make_user("alice")
    bob = network.actor("remote.example", "bob")
    bob_id = await _known(client, app, bob)
    await _follow(app, bob_id, alice.account_id)
    return alice, bob, bob_id


async def test_private_post__signed_by_follower__note_and_create(app, client, make_user, network):  # noqa: F811
    alice, bob, _ = await _setup(app, client, make_user, network)
    sid = await _post(client, alice, "for my followers", "private")
    path = f"/users/alice/statuses/{sid}"
    r = await client.get(path, headers=signed_get(path, bob))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/activity+json; charset=utf-8"
    assert "no-store" in r.headers["cache-control"]  # depends on the signer: no shared cache
    note = r.json()
    assert note["type"] == "Note" and note["id"] == f"http://chaupal.test{path}"
    assert note["to"] == ["http://chaupal.test/users/alice/followers"]
    assert "https://www.w3.org/ns/activitystreams#Public" not in note.get("cc", [])
    r = await client.get(f"{path}/activity", headers=signed_get(f"{path}/activity", bob))
    assert r.status_code == 200 and r.json()["type"] == "Create", r.text
    assert r.json()["object"]["id"] == note["id"]


async def test_private_post__unsigned_or_non_follower_or_instance_actor__404(app, client, make_user, network):  # noqa: F811
    alice, _, _ = await _setup(app, client, make_user, network)
    sid = await _post(client, alice, "for my followers", "private")
    path = f"/users/alice/statuses/{sid}"
    assert (await client.get(path, headers=AS)).status_code == 404
    assert (await client.get(f"{path}/activity", headers=AS)).status_code == 404
    assert (await client.get(path)).status_code == 404  # no page redirect for a browser either
    carol = network.actor("remote.example", "carol")  # same server as a follower, not one herself
    r = await client.get(path, headers=signed_get(path, carol))
    assert r.status_code == 404 and r.json() == {"error": "Record not found"}
    instance = new_actor("remote.example", "remote.example", type="Application")
    instance.uri = "https://remote.example/actor"
    network.add_actor(instance)
    assert (await client.get(path, headers=signed_get(path, instance))).status_code == 404


async def test_private_post__follower_blocked_alone_or_by_domain__404(app, client, make_user, network):  # noqa: F811
    alice, bob, bob_id = await _setup(app, client, make_user, network)
    sid = await _post(client, alice, "for my followers", "private")
    path = f"/users/alice/statuses/{sid}"
    assert (await client.get(path, headers=signed_get(path, bob))).status_code == 200
    async with app.state.sessions() as s:
        s.add(Block(account_id=alice.account_id, target_account_id=bob_id))
        await s.commit()
    assert (await client.get(path, headers=signed_get(path, bob))).status_code == 404
    async with app.state.sessions() as s:
        await s.execute(Block.__table__.delete())
        s.add(AccountDomainBlock(account_id=alice.account_id, domain="remote.example"))
        await s.commit()
    assert (await client.get(path, headers=signed_get(path, bob))).status_code == 404
    assert (await client.get(f"{path}/activity", headers=signed_get(f"{path}/activity", bob))).status_code == 404


async def test_direct_post__never_served_even_to_a_mentioned_follower(app, client, make_user, network):  # noqa: F811
    alice, bob, _ = await _setup(app, client, make_user, network)
    sid = await _post(client, alice, "@bob@remote.example psst", "direct")
    path = f"/users/alice/statuses/{sid}"
    assert (await client.get(path, headers=signed_get(path, bob))).status_code == 404
    assert (await client.get(f"{path}/activity", headers=signed_get(f"{path}/activity", bob))).status_code == 404


async def test_private_post__follower_of_someone_else__404(app, client, make_user, network):  # noqa: F811
    _, bob, bob_id = await _setup(app, client, make_user, network)
    dan = await make_user("dan")
    sid = await _post(client, dan, "dan's followers only", "private")
    path = f"/users/dan/statuses/{sid}"
    assert (await client.get(path, headers=signed_get(path, bob))).status_code == 404
    await _follow(app, bob_id, dan.account_id)
    assert (await client.get(path, headers=signed_get(path, bob))).status_code == 200
