"""Blocks and mutes lists: paged by row id with Link headers; expired mutes drop out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from chaupal.db import utcnow
from chaupal.models import Mute
from tests.api.relation_helpers import db, follow_all_pages


@pytest.fixture
async def alice(make_user):
    return await make_user("alice")


@pytest.mark.parametrize("kind,action", [("blocks", "block"), ("mutes", "mute")])
async def test_list__paged_with_link(client, make_user, alice, kind, action):
    others = [await make_user(f"other{i}") for i in range(5)]
    for other in others:
        resp = await client.post(f"/api/v1/accounts/{other.account_id}/{action}", headers=alice.headers)
        assert resp.status_code == 200
    pages = await follow_all_pages(client, f"/api/v1/{kind}?limit=2", alice.headers)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i for p in pages for i in p] == [str(o.account_id) for o in reversed(others)]


@pytest.mark.parametrize("kind,undo", [("blocks", "unblock"), ("mutes", "unmute")])
async def test_list__undone_drops_out(client, make_user, alice, kind, undo):
    other = await make_user("other")
    await client.post(f"/api/v1/accounts/{other.account_id}/{undo[2:]}", headers=alice.headers)
    await client.post(f"/api/v1/accounts/{other.account_id}/{undo}", headers=alice.headers)
    assert (await client.get(f"/api/v1/{kind}", headers=alice.headers)).json() == []


async def test_mutes__expired_mute_no_longer_listed_or_reported(client, app, make_user, alice):
    other = await make_user("other")
    await client.post(
        f"/api/v1/accounts/{other.account_id}/mute", data={"duration": "60"}, headers=alice.headers
    )
    assert len((await client.get("/api/v1/mutes", headers=alice.headers)).json()) == 1
    async with db(app) as s:  # as if the minute had passed
        await s.execute(update(Mute).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await client.get("/api/v1/mutes", headers=alice.headers)).json() == []
    rel = await client.get(
        "/api/v1/accounts/relationships", params={"id[]": other.account_id}, headers=alice.headers
    )
    assert rel.json()[0]["muting"] is False


async def test_blocks_and_mutes__only_own(client, make_user, alice):
    other = await make_user("other")
    await client.post(f"/api/v1/accounts/{alice.account_id}/block", headers=other.headers)
    await client.post(f"/api/v1/accounts/{alice.account_id}/mute", headers=other.headers)
    assert (await client.get("/api/v1/blocks", headers=alice.headers)).json() == []
    assert (await client.get("/api/v1/mutes", headers=alice.headers)).json() == []


@pytest.mark.parametrize(
    "path,wrong_scope", [("/api/v1/blocks", "read:mutes"), ("/api/v1/mutes", "read:blocks")]
)
async def test_lists__auth_scope_and_paging_errors(client, make_user, alice, path, wrong_scope):
    assert (await client.get(path)).status_code == 401
    wrong = await make_user("wrong", scopes=wrong_scope)
    assert (await client.get(path, headers=wrong.headers)).status_code == 403
    follow_scope = await make_user("legacy", scopes="follow")
    assert (await client.get(path, headers=follow_scope.headers)).status_code == 200
    for query in ("max_id=nope", "limit=0", "min_id=-2"):
        resp = await client.get(f"{path}?{query}", headers=alice.headers)
        assert resp.status_code == 400, query
        assert "error" in resp.json()
