"""The request's token: refused on the very next request after revocation or suspension
(also when another app process did it), and `last_used_at` stamped at most once per
`access_token_last_used_resolution_seconds`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from chaupal.actions.accounts import do_suspend_account
from chaupal.actions.tokens import do_revoke_token
from chaupal.app import create_app
from chaupal.db import utcnow
from chaupal.models import AccessToken, Account
from chaupal.security import digest


async def _token(app: Any, plain: str) -> AccessToken:
    async with app.state.sessions() as s:
        token = await s.scalar(select(AccessToken).where(AccessToken.token_digest == digest(plain)))
        assert token is not None
        return token


async def _revoke(app: Any, plain: str) -> None:
    async with app.state.sessions() as s:
        token = await s.scalar(select(AccessToken).where(AccessToken.token_digest == digest(plain)))
        await do_revoke_token(s, token)
        await s.commit()


async def test_revoked_token__next_request__401(client, app, make_user):
    alice = await make_user("alice")
    assert (await client.get("/api/v1/timelines/home", headers=alice.headers)).status_code == 200
    await _revoke(app, alice.token)
    r = await client.get("/api/v1/timelines/home", headers=alice.headers)
    assert r.status_code == 401
    r = await client.post("/api/v1/statuses", json={"status": "hi"}, headers=alice.headers)
    assert r.status_code == 401


async def test_revoked_in_another_process__next_request__401(client, settings, make_user):
    """Two app instances on the same database (and Redis), as two `serve` processes: a token
    revoked through one stops working on the other at once."""
    alice = await make_user("alice")
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other, client=("127.0.0.1", 12346))
        async with httpx.AsyncClient(transport=transport, base_url="http://chaupal.test") as c2:
            assert (await client.get("/api/v1/timelines/home", headers=alice.headers)).status_code == 200
            assert (await c2.get("/api/v1/timelines/home", headers=alice.headers)).status_code == 200
            await _revoke(other, alice.token)
            assert (await client.get("/api/v1/timelines/home", headers=alice.headers)).status_code == 401
            assert (await c2.get("/api/v1/timelines/home", headers=alice.headers)).status_code == 401


async def test_suspended_account__next_request__401(client, app, make_user):
    alice = await make_user("alice")
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=alice.headers)).status_code == 200
    async with app.state.sessions() as s:
        await do_suspend_account(s, await s.get(Account, alice.account_id))
        await s.commit()
    r = await client.get("/api/v1/accounts/verify_credentials", headers=alice.headers)
    assert r.status_code == 401


async def test_last_used_at__stamped_on_first_use_then_not_per_request(client, app, make_user):
    alice = await make_user("alice")
    assert (await _token(app, alice.token)).last_used_at is None
    assert (await client.get("/api/v1/timelines/home", headers=alice.headers)).status_code == 200
    first = (await _token(app, alice.token)).last_used_at
    assert first is not None
    await client.get("/api/v1/timelines/home", headers=alice.headers)
    await client.post("/api/v1/statuses", json={"status": "hi"}, headers=alice.headers)
    assert (await _token(app, alice.token)).last_used_at == first


async def test_last_used_at__older_than_resolution__stamped_again(client, app, settings, make_user):
    alice = await make_user("alice")
    old = utcnow() - timedelta(seconds=settings.access_token_last_used_resolution_seconds + 60)
    token = await _token(app, alice.token)
    for method in ("GET", "POST"):  # reads stamp in their own transaction, writes in theirs
        async with app.state.sessions() as s:
            await s.execute(update(AccessToken).where(AccessToken.id == token.id).values(last_used_at=old))
            await s.commit()
        if method == "GET":
            r = await client.get("/api/v1/timelines/home", headers=alice.headers)
        else:
            r = await client.post("/api/v1/statuses", json={"status": "hi"}, headers=alice.headers)
        assert r.status_code == 200
        stamped = (await _token(app, alice.token)).last_used_at
        assert stamped is not None and stamped > old + timedelta(seconds=30)


async def test_last_used_at__resolution_is_the_setting(settings, make_user):
    """With the resolution at 0 every request stamps (the setting is what limits the writes)."""
    zero = settings.model_copy(update={"access_token_last_used_resolution_seconds": 0})
    app = create_app(zero)
    async with app.router.lifespan_context(app):
        async with app.state.sessions() as s:
            from chaupal.actions.accounts import check_create_account
            from chaupal.actions.tokens import do_issue_token

            _, user = await check_create_account(
                s, zero, username="bob", email="bob@example.org", password="password123"
            )
            _, plain, _ = await do_issue_token(s, user_id=user.id, application_id=None, scopes="read")
            await s.commit()
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 12347))
        async with httpx.AsyncClient(transport=transport, base_url="http://chaupal.test") as c:
            headers = {"Authorization": f"Bearer {plain}"}
            await c.get("/api/v1/timelines/home", headers=headers)
            first = (await _token(app, plain)).last_used_at
            await c.get("/api/v1/timelines/home", headers=headers)
            second = (await _token(app, plain)).last_used_at
    assert first is not None and second is not None and second > first
