"""The web sign-in form, session cookie, CSRF, sign-out, password change, landing page, static files."""

from __future__ import annotations

import struct

from sqlalchemy import select

from chaupal.models import AccessToken
from tests.web.flows import browser, csrf_from, sign_in


async def test_sign_in_page__form_contract(client):
    r = await client.get("/auth/sign_in", params={"next": "/oauth/authorize?x=1"})
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    html = r.text
    assert 'action="/auth/sign_in"' in html and 'method="post"' in html
    for name in ("username", "password", "next", "csrf_token"):
        assert f'name="{name}"' in html
    assert 'value="/oauth/authorize?x=1"' in html


async def test_sign_in__by_username_sets_session_cookie_and_redirects(client, make_user, settings):
    await make_user("alice")
    page = await client.get("/auth/sign_in")
    r = await client.post("/auth/sign_in", data={"username": "Alice", "password": "password123",
                                                 "next": "/settings/password", "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/settings/password"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("chaupal_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert f"Max-Age={settings.session_ttl_seconds}" in cookie and "Secure" not in cookie
    assert (await client.get("/settings/password")).status_code == 200


async def test_sign_in__session_stored_as_session_token_with_ttl(client, make_user, session, settings):
    u = await make_user("alice")
    await sign_in(client, "alice@example.org")
    token = await session.scalar(select(AccessToken).where(AccessToken.kind == "session"))
    assert token.user_id == u.user_id and token.scopes == ""
    assert abs((token.expires_at - token.created_at).total_seconds() - settings.session_ttl_seconds) < 5


async def test_sign_in__session_cookie_is_not_an_api_token(client, make_user):
    await make_user("alice")
    r = await sign_in(client, "alice")
    raw = r.cookies["chaupal_session"]
    me = await client.get("/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code in (401, 403)


async def test_sign_in__secure_cookie_over_https(app, settings, make_user):
    import httpx

    from chaupal.app import create_app

    await make_user("alice")
    secure = create_app(settings.model_copy(update={"https": True}))
    transport = httpx.ASGITransport(app=secure)
    async with (
        secure.router.lifespan_context(secure),
        httpx.AsyncClient(transport=transport, base_url="https://chaupal.test") as c,
    ):
        r = await sign_in(c, "alice")
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


async def test_sign_in__at_username_and_email_case_insensitive(client, make_user):
    await make_user("alice")
    assert (await sign_in(client, "@alice")).status_code == 303
    client.cookies.clear()
    assert (await sign_in(client, "ALICE@example.org")).status_code == 303


async def test_sign_in__wrong_password__401_form_again(client, make_user):
    await make_user("alice")
    r = await sign_in(client, "alice", password="wrong-password")
    assert r.status_code == 401 and "Invalid" in r.text and 'name="csrf_token"' in r.text
    assert "chaupal_session" not in r.cookies


async def test_sign_in__unknown_user__same_answer(client):
    r = await sign_in(client, "nobody")
    assert r.status_code == 401 and "Invalid username, email or password." in r.text


async def test_sign_in__unapproved_user__refused(client, make_user, session):
    u = await make_user("alice")
    from chaupal.models import User

    user = await session.get(User, u.user_id)
    user.approved = False
    await session.commit()
    r = await sign_in(client, "alice")
    assert r.status_code == 401 and "approval" in r.text


async def test_sign_in__missing_csrf__403(client, make_user):
    await make_user("alice")
    await client.get("/auth/sign_in")
    r = await client.post("/auth/sign_in", data={"username": "alice", "password": "password123", "next": "/"})
    assert r.status_code == 403 and "chaupal_session" not in r.cookies


async def test_sign_in__csrf_from_another_browser__403(client, app, make_user):
    await make_user("alice")
    theirs = csrf_from((await client.get("/auth/sign_in")).text)
    async with browser(app) as other:
        await other.get("/auth/sign_in")
        r = await other.post("/auth/sign_in", data={"username": "alice", "password": "password123",
                                                    "next": "/", "csrf_token": theirs})
    assert r.status_code == 403


async def test_sign_in__offsite_next__redirects_home(client, make_user):
    await make_user("alice")
    page = await client.get("/auth/sign_in")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        r = await client.post("/auth/sign_in", data={"username": "alice", "password": "password123",
                                                     "next": evil, "csrf_token": csrf_from(page.text)})
        assert r.status_code == 303 and r.headers["location"] == "/", evil
        client.cookies.clear()
        page = await client.get("/auth/sign_in")


async def test_sign_out__revokes_session(client, make_user, session):
    await make_user("alice")
    await sign_in(client, "alice")
    home = await client.get("/")
    assert "@alice" in home.text
    r = await client.post("/auth/sign_out", data={"csrf_token": csrf_from(home.text)})
    assert r.status_code == 303
    assert "@alice" not in (await client.get("/")).text
    token = await session.scalar(select(AccessToken).where(AccessToken.kind == "session"))
    assert token.revoked_at is not None


async def test_sign_out__without_csrf__403(client, make_user):
    await make_user("alice")
    await sign_in(client, "alice")
    r = await client.post("/auth/sign_out", data={})
    assert r.status_code == 403
    assert "@alice" in (await client.get("/")).text


async def test_change_password__revokes_every_token_and_signs_out(client, make_user):
    u = await make_user("alice")
    await sign_in(client, "alice")
    page = await client.get("/settings/password")
    r = await client.post("/settings/password", data={"current_password": "password123",
                                                      "new_password": "brand-new-pass",
                                                      "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=u.headers)).status_code == 401
    assert (await client.get("/settings/password")).status_code == 303  # the session died too
    assert (await sign_in(client, "alice", password="password123")).status_code == 401
    client.cookies.clear()
    assert (await sign_in(client, "alice", password="brand-new-pass")).status_code == 303


async def test_change_password__wrong_current__403_nothing_changes(client, make_user):
    u = await make_user("alice")
    await sign_in(client, "alice")
    page = await client.get("/settings/password")
    r = await client.post("/settings/password", data={"current_password": "nope", "new_password": "brand-new-pass",
                                                      "csrf_token": csrf_from(page.text)})
    assert r.status_code == 403 and "wrong" in r.text
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=u.headers)).status_code == 200


async def test_change_password__too_short__422(client, make_user, settings):
    await make_user("alice")
    await sign_in(client, "alice")
    page = await client.get("/settings/password")
    r = await client.post("/settings/password", data={
        "current_password": "password123", "new_password": "x" * (settings.min_password_chars - 1),
        "csrf_token": csrf_from(page.text)})
    assert r.status_code == 422


async def test_change_password__without_csrf__403(client, make_user):
    await make_user("alice")
    await sign_in(client, "alice")
    r = await client.post("/settings/password", data={"current_password": "password123",
                                                      "new_password": "brand-new-pass"})
    assert r.status_code == 403


async def test_change_password__signed_out__redirect_to_sign_in(client):
    r = await client.get("/settings/password")
    assert r.status_code == 303 and r.headers["location"].startswith("/auth/sign_in")


async def test_landing_page(client):
    r = await client.get("/")
    assert r.status_code == 200 and "<title>Chaupal</title>" in r.text and 'href="/auth/sign_in"' in r.text


async def test_robots_txt(client):
    r = await client.get("/robots.txt")
    assert r.status_code == 200 and r.text.startswith("User-agent: *")


async def test_static__placeholder_pngs_are_real_images(client):
    for name, size in (("avatar-missing.png", (120, 120)), ("header-missing.png", (300, 100))):
        r = await client.get(f"/static/{name}")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert r.content[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", r.content[16:24]) == size


async def test_static__no_path_traversal(client):
    for path in ("/static/../pages.py", "/static/%2e%2e/pages.py", "/static/nope.png"):
        r = await client.get(path)
        assert r.status_code == 404, path
