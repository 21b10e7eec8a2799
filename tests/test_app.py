"""The app factory, error shape and limits that every endpoint shares."""


async def test_unknown_route__404_json_error(client):
    r = await client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.json() == {"error": "Record not found"}


async def test_oversized_body__413_before_reading(client, settings):
    body = b"x" * (settings.max_request_body_bytes + 1)
    r = await client.post("/api/v1/statuses", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "error" in r.json()


async def test_make_user_fixture_creates_account(make_user, session):
    from chaupal.models import Account

    u = await make_user("alice")
    acc = await session.get(Account, u.account_id)
    assert acc.username == "alice"
