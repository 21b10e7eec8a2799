"""Markers: saved read positions in the home and notifications timelines."""

from __future__ import annotations


async def test_markers__save_then_read_back_with_versions(client, make_user):
    u = await make_user("alice")
    assert (await client.get("/api/v1/markers", params={"timeline[]": "home"}, headers=u.headers)).json() == {}
    r = await client.post("/api/v1/markers", data={"home[last_read_id]": "103"}, headers=u.headers)
    assert r.status_code == 200, r.text
    assert r.json()["home"]["last_read_id"] == "103" and r.json()["home"]["version"] == 1
    r = await client.post("/api/v1/markers", json={"home": {"last_read_id": "110"},
                                                   "notifications": {"last_read_id": 7}}, headers=u.headers)
    assert r.json()["home"]["version"] == 2 and r.json()["notifications"]["last_read_id"] == "7"
    got = (await client.get("/api/v1/markers?timeline[]=home&timeline[]=notifications", headers=u.headers)).json()
    assert got["home"]["last_read_id"] == "110" and got["home"]["version"] == 2
    assert got["notifications"]["version"] == 1 and got["home"]["updated_at"].endswith("Z")


async def test_markers__only_requested_timelines(client, make_user):
    u = await make_user("alice")
    await client.post("/api/v1/markers", data={"home[last_read_id]": "1", "notifications[last_read_id]": "2"},
                      headers=u.headers)
    got = (await client.get("/api/v1/markers", params={"timeline[]": "notifications"}, headers=u.headers)).json()
    assert list(got) == ["notifications"]


async def test_markers__per_user(client, make_user):
    a, b = await make_user("alice"), await make_user("bob")
    await client.post("/api/v1/markers", data={"home[last_read_id]": "5"}, headers=a.headers)
    assert (await client.get("/api/v1/markers?timeline[]=home", headers=b.headers)).json() == {}


async def test_markers__bad_input__422(client, make_user):
    u = await make_user("alice")
    for data in ({}, {"home[last_read_id]": "abc"}, {"home[last_read_id]": "-1"},
                 {"home[last_read_id]": "99999999999999999999"}):
        r = await client.post("/api/v1/markers", data=data, headers=u.headers)
        assert r.status_code == 422, (data, r.text)


async def test_markers__scopes(client, make_user):
    reader = await make_user("alice", scopes="read")
    assert (await client.post("/api/v1/markers", data={"home[last_read_id]": "1"},
                              headers=reader.headers)).status_code == 403
    writer = await make_user("bob", scopes="write")
    assert (await client.get("/api/v1/markers?timeline[]=home", headers=writer.headers)).status_code == 403
    assert (await client.get("/api/v1/markers")).status_code == 401
