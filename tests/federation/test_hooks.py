"""Each local action that concerns a remote audience queues exactly its activity for exactly
the expected inboxes (an `ap_distribute` job, inspected here), and nothing for local audiences.
Remote accounts are made directly in the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from chaupal.actions.statuses import do_delete_status
from chaupal.models import Account, Block, FollowRequest, Job, Status
from tests.federation.helpers_send import make_remote

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def _queued(app: Any) -> list[dict[str, Any]]:
    """Payloads of the distribute jobs queued so far (consumed: deleted after reading)."""
    async with app.state.sessions() as s:
        jobs = list((await s.scalars(select(Job).where(Job.kind == "ap_distribute").order_by(Job.id))).all())
        for job in jobs:
            await s.delete(job)
        await s.commit()
        return [j.payload for j in jobs]


async def _remote_post(app: Any, author: Account) -> Status:
    async with app.state.sessions() as s:
        status = Status(
            account_id=author.id,
            uri=f"{author.uri}/statuses/99",
            url=f"https://{author.domain}/@{author.username}/99",
            content="<p>hello</p>",
            local=False,
        )
        s.add(status)
        await s.commit()
        return status


async def test_status_create_edit_delete__to_remote_followers(app, client, settings, make_user):
    alice = await make_user("alice")
    await make_remote(app, "carol", "one.example", follows=alice.account_id)
    r = await client.post("/api/v1/statuses", json={"status": "hello fediverse"}, headers=alice.headers)
    assert r.status_code == 200, r.text
    sid = r.json()["id"]
    [job] = await _queued(app)
    activity = job["activity"]
    assert (activity["type"], activity["object"]["type"]) == ("Create", "Note")
    assert activity["object"]["id"] == f"{settings.base_url}/users/alice/statuses/{sid}"
    assert activity["to"] == [PUBLIC] and job["to_followers"] is True and job["inboxes"] == []

    r = await client.put(f"/api/v1/statuses/{sid}", json={"status": "hello, edited"}, headers=alice.headers)
    assert r.status_code == 200, r.text
    [job] = await _queued(app)
    assert job["activity"]["type"] == "Update" and "edited" in job["activity"]["object"]["content"]

    async with app.state.sessions() as s:
        await do_delete_status(s, await s.get(Status, int(sid)), settings=settings)
        await s.commit()
    [job] = await _queued(app)
    assert job["activity"]["type"] == "Delete"
    assert job["activity"]["object"] == {
        "id": f"{settings.base_url}/users/alice/statuses/{sid}",
        "type": "Tombstone",
        "atomUri": f"{settings.base_url}/users/alice/statuses/{sid}",
    }


async def test_status__local_audience_only__nothing_queued(app, client, settings, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    await client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    r = await client.post("/api/v1/statuses", json={"status": "hi @bob"}, headers=alice.headers)
    assert r.status_code == 200
    await make_remote(app, "stranger", "one.example")  # remote, but not following
    assert await _queued(app) == []


async def test_direct_post__only_to_the_mentioned_remote_inbox(app, client, settings, make_user):
    alice = await make_user("alice")
    await make_remote(app, "carol", "one.example", follows=alice.account_id)
    await make_remote(app, "dave", "two.example")
    r = await client.post(
        "/api/v1/statuses", json={"status": "psst @dave@two.example", "visibility": "direct"}, headers=alice.headers
    )
    assert r.status_code == 200, r.text
    [job] = await _queued(app)
    assert job["to_followers"] is False
    assert job["inboxes"] == ["https://two.example/users/dave/inbox"]


async def test_reblog_and_unreblog__announce_to_followers_and_the_remote_author(app, client, make_user):
    alice = await make_user("alice")
    await make_remote(app, "carol", "one.example", follows=alice.account_id)
    author = await make_remote(app, "dave", "two.example")
    post = await _remote_post(app, author)
    r = await client.post(f"/api/v1/statuses/{post.id}/reblog", headers=alice.headers)
    assert r.status_code == 200, r.text
    [job] = await _queued(app)
    assert job["activity"]["type"] == "Announce" and job["activity"]["object"] == post.uri
    assert job["to_followers"] is True and job["inboxes"] == ["https://two.example/users/dave/inbox"]
    r = await client.post(f"/api/v1/statuses/{post.id}/unreblog", headers=alice.headers)
    assert r.status_code == 200, r.text
    [job] = await _queued(app)
    assert job["activity"]["type"] == "Undo" and job["activity"]["object"]["type"] == "Announce"


async def test_favourite_of_a_remote_post__like_to_its_author_only(app, client, make_user):
    alice = await make_user("alice")
    await make_remote(app, "carol", "one.example", follows=alice.account_id)
    author = await make_remote(app, "dave", "two.example")
    post = await _remote_post(app, author)
    assert (await client.post(f"/api/v1/statuses/{post.id}/favourite", headers=alice.headers)).status_code == 200
    [job] = await _queued(app)
    assert job["activity"]["type"] == "Like" and job["activity"]["object"] == post.uri
    assert job["to_followers"] is False and job["inboxes"] == ["https://two.example/users/dave/inbox"]
    assert (await client.post(f"/api/v1/statuses/{post.id}/unfavourite", headers=alice.headers)).status_code == 200
    [job] = await _queued(app)
    assert job["activity"]["type"] == "Undo" and job["activity"]["object"]["type"] == "Like"


async def test_favourite_of_a_local_post__nothing(app, client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    await make_remote(app, "carol", "one.example", follows=alice.account_id)
    sid = (await client.post("/api/v1/statuses", json={"status": "x"}, headers=bob.headers)).json()["id"]
    assert (await client.post(f"/api/v1/statuses/{sid}/favourite", headers=alice.headers)).status_code == 200
    assert await _queued(app) == []


async def test_follow_remote__stays_requested_until_accept__then_undo(app, client, settings, make_user):
    alice = await make_user("alice")
    dave = await make_remote(app, "dave", "two.example")
    r = await client.post(f"/api/v1/accounts/{dave.id}/follow", headers=alice.headers)
    assert r.status_code == 200, r.text
    assert r.json()["requested"] is True and r.json()["following"] is False
    [job] = await _queued(app)
    async with app.state.sessions() as s:
        request = await s.scalar(select(FollowRequest))
    assert request.uri == f"{settings.base_url}/follows/{request.id}"
    assert job["activity"] | {"@context": None} == {
        "@context": None,
        "id": request.uri,
        "type": "Follow",
        "actor": f"{settings.base_url}/users/alice",
        "object": dave.uri,
    }
    assert job["to_followers"] is False and job["inboxes"] == ["https://two.example/users/dave/inbox"]
    r = await client.post(f"/api/v1/accounts/{dave.id}/unfollow", headers=alice.headers)
    assert r.status_code == 200
    [job] = await _queued(app)
    assert job["activity"]["type"] == "Undo" and job["activity"]["object"]["id"] == request.uri


async def test_answering_a_remote_follow_request__accept_and_reject(app, client, settings, make_user):
    alice = await make_user("alice", locked=True)
    for name, verb, kind in (("dave", "authorize", "Accept"), ("erin", "reject", "Reject")):
        remote = await make_remote(app, name, f"{name}.example")
        async with app.state.sessions() as s:
            s.add(FollowRequest(account_id=remote.id, target_account_id=alice.account_id, uri=f"{remote.uri}#follow/1"))
            await s.commit()
        r = await client.post(f"/api/v1/follow_requests/{remote.id}/{verb}", headers=alice.headers)
        assert r.status_code == 200, r.text
        [job] = await _queued(app)
        assert job["activity"]["type"] == kind
        assert job["activity"]["object"]["id"] == f"{remote.uri}#follow/1"
        assert job["inboxes"] == [f"https://{name}.example/users/{name}/inbox"] and job["to_followers"] is False


async def test_block_and_unblock_remote(app, client, settings, make_user):
    alice = await make_user("alice")
    dave = await make_remote(app, "dave", "two.example", follows=None)
    assert (await client.post(f"/api/v1/accounts/{dave.id}/block", headers=alice.headers)).status_code == 200
    [job] = await _queued(app)
    async with app.state.sessions() as s:
        block = await s.scalar(select(Block))
    assert job["activity"]["type"] == "Block" and job["activity"]["id"] == f"{settings.base_url}/blocks/{block.id}"
    assert job["activity"]["object"] == dave.uri and job["inboxes"] == ["https://two.example/users/dave/inbox"]
    assert (await client.post(f"/api/v1/accounts/{dave.id}/unblock", headers=alice.headers)).status_code == 200
    [job] = await _queued(app)
    assert job["activity"]["type"] == "Undo" and job["activity"]["object"]["type"] == "Block"


async def test_block_local__nothing(app, client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    assert (await client.post(f"/api/v1/accounts/{bob.account_id}/block", headers=alice.headers)).status_code == 200
    assert await _queued(app) == []


async def test_profile_update__update_person_to_remote_followers(app, client, settings, make_user):
    alice = await make_user("alice")
    r = await client.patch("/api/v1/accounts/update_credentials", json={"display_name": "Alice"}, headers=alice.headers)
    assert r.status_code == 200, r.text
    assert await _queued(app) == []  # nobody remote follows her yet
    await make_remote(app, "carol", "one.example", follows=alice.account_id)
    r = await client.patch("/api/v1/accounts/update_credentials", json={"display_name": "Alice A."}, headers=alice.headers)
    assert r.status_code == 200, r.text
    [job] = await _queued(app)
    assert job["activity"]["type"] == "Update" and job["activity"]["object"]["type"] == "Person"
    assert job["activity"]["object"]["name"] == "Alice A." and job["to_followers"] is True
