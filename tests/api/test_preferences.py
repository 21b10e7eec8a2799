"""GET /api/v1/preferences."""

from __future__ import annotations


async def test_preferences__defaults(client, make_user):
    u = await make_user("alice")
    r = await client.get("/api/v1/preferences", headers=u.headers)
    assert r.status_code == 200
    assert r.json() == {
        "posting:default:visibility": "public",
        "posting:default:sensitive": False,
        "posting:default:language": None,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
        "reading:autoplay:gifs": False,
    }


async def test_preferences__needs_token_and_read_scope(client, make_user):
    assert (await client.get("/api/v1/preferences")).status_code == 401
    u = await make_user("alice", scopes="write")
    assert (await client.get("/api/v1/preferences", headers=u.headers)).status_code == 403
