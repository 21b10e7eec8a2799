"""Follow requests API: list (paged with Link), authorize and reject."""

from __future__ import annotations

import pytest

from chaupal.models import Follow, FollowRequest, Notification
from tests.api.relation_helpers import account, count, follow_all_pages, snapshot


@pytest.fixture
async def locked(make_user):
    return await make_user("locked", locked=True)


async def request_from(client, user, target):
    resp = await client.post(f"/api/v1/accounts/{target.account_id}/follow", headers=user.headers)
    assert resp.status_code == 200 and resp.json()["requested"] is True


async def test_list_follow_requests__paged_with_link(client, make_user, locked):
    fans = [await make_user(f"fan{i}") for i in range(5)]
    for fan in fans:
        await request_from(client, fan, locked)
    pages = await follow_all_pages(client, "/api/v1/follow_requests?limit=2", locked.headers)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i for p in pages for i in p] == [str(f.account_id) for f in reversed(fans)]


async def test_authorize__becomes_follow_with_counters(client, app, make_user, locked):
    fan = await make_user("fan")
    await request_from(client, fan, locked)
    resp = await client.post(
        f"/api/v1/follow_requests/{fan.account_id}/authorize", headers=locked.headers
    )
    assert resp.status_code == 200
    rel = resp.json()
    assert (rel["id"], rel["followed_by"], rel["requested_by"]) == (str(fan.account_id), True, False)
    assert await count(app, FollowRequest) == 0
    assert await count(app, Follow) == 1
    assert (await account(app, locked.account_id)).followers_count == 1
    assert (await account(app, fan.account_id)).following_count == 1
    assert await count(app, Notification) == 0  # the request notification is gone, as in Mastodon
    fan_view = await client.get(
        "/api/v1/accounts/relationships", params={"id[]": locked.account_id}, headers=fan.headers
    )
    assert (fan_view.json()[0]["following"], fan_view.json()[0]["requested"]) == (True, False)
    listed = await client.get("/api/v1/follow_requests", headers=locked.headers)
    assert listed.json() == []


async def test_reject__removes_request(client, app, make_user, locked):
    fan = await make_user("fan")
    await request_from(client, fan, locked)
    resp = await client.post(f"/api/v1/follow_requests/{fan.account_id}/reject", headers=locked.headers)
    assert resp.status_code == 200
    assert resp.json()["requested_by"] is False and resp.json()["followed_by"] is False
    assert await count(app, FollowRequest) == 0
    assert await count(app, Follow) == 0
    assert await count(app, Notification) == 0


@pytest.mark.parametrize("action", ["authorize", "reject"])
async def test_no_pending_request__404_and_unchanged(client, app, make_user, locked, action):
    fan = await make_user("fan")
    before = await snapshot(app)
    resp = await client.post(f"/api/v1/follow_requests/{fan.account_id}/{action}", headers=locked.headers)
    assert resp.status_code == 404
    resp = await client.post(f"/api/v1/follow_requests/99999/{action}", headers=locked.headers)
    assert resp.status_code == 404
    assert await snapshot(app) == before


@pytest.mark.parametrize("action", ["authorize", "reject"])
async def test_authorize_reject__read_only_token__403_and_unchanged(client, app, make_user, locked, action):
    fan = await make_user("fan")
    await request_from(client, fan, locked)
    reader = await make_user("reader", scopes="read")
    before = await snapshot(app)
    resp = await client.post(f"/api/v1/follow_requests/{fan.account_id}/{action}", headers=reader.headers)
    assert resp.status_code == 403
    assert (await client.post(f"/api/v1/follow_requests/{fan.account_id}/{action}")).status_code == 401
    assert await snapshot(app) == before


async def test_list_follow_requests__auth_and_paging_errors(client, make_user, locked):
    assert (await client.get("/api/v1/follow_requests")).status_code == 401
    writer = await make_user("writer", scopes="write")
    assert (await client.get("/api/v1/follow_requests", headers=writer.headers)).status_code == 403
    resp = await client.get("/api/v1/follow_requests?limit=abc", headers=locked.headers)
    assert resp.status_code == 400


async def test_withdrawn_request__disappears_from_list(client, make_user, locked):
    fan = await make_user("fan")
    await request_from(client, fan, locked)
    await client.post(f"/api/v1/accounts/{locked.account_id}/unfollow", headers=fan.headers)
    assert (await client.get("/api/v1/follow_requests", headers=locked.headers)).json() == []
