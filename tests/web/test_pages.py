"""The web app's pages over HTTP: who sees what, forms through the API's actions, CSRF,
escaping, "load more" paging, and reading without JavaScript."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from chaupal.events import hub_of
from chaupal.models import Account
from chaupal.web.stream import home_events, render_for_home
from tests.web.flows import browser, csrf_from, sign_in


async def signed_in(client, make_user, name: str, **fields):
    user = await make_user(name, **fields)
    r = await sign_in(client, name)
    assert r.status_code == 303
    return user


async def api_post(client, user, text: str, **extra) -> str:
    r = await client.post("/api/v1/statuses", json={"status": text, **extra}, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()["id"]


async def web_post(client, text: str, *, files=None, **fields):
    page = await client.get("/home")
    data = {"status": text, "csrf_token": csrf_from(page.text), "next": "/home", **fields}
    return await client.post("/web/statuses", data=data, files=files)


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


# --- pages render ------------------------------------------------------------------------------

async def test_pages__visitor_can_read_public_pages(client, make_user):
    alice = await make_user("alice")
    sid = await api_post(client, alice, "hello #chaupal world")
    for path in ("/", "/public", "/tags/chaupal", "/@alice", f"/@alice/{sid}", "/@alice/followers",
                 "/@alice/following", "/search?q=ali", "/auth/sign_up", "/auth/sign_in"):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert 'lang="en"' in r.text and "<main" in r.text and "<nav" in r.text, path
    for path in ("/", "/public", "/tags/chaupal", "/@alice", f"/@alice/{sid}"):
        assert "hello" in (await client.get(path)).text, path  # in the HTML itself: no JS needed


async def test_pages__signed_in_only_pages_redirect_visitors(client):
    for path in ("/home", "/notifications", "/settings/profile"):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/auth/sign_in?next="), path


async def test_pages__signed_in_user_sees_every_page(client, make_user):
    await signed_in(client, make_user, "alice")
    for path in ("/", "/home", "/public", "/notifications", "/settings/profile", "/settings/password",
                 "/search?q=a", "/@alice", "/@alice/followers", "/tags/none"):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert "@alice" in r.text and 'action="/auth/sign_out"' in r.text, path


async def test_pages__security_headers_and_no_inline_script(client):
    r = await client.get("/public")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert "<script>" not in r.text and "onclick" not in r.text
    for asset in ("/static/htmx.min.js", "/static/htmx-ext-sse.min.js", "/static/chaupal.js", "/static/chaupal.css"):
        assert (await client.get(asset)).status_code == 200, asset


async def test_pages__unknown_profile_and_post__404(client, make_user):
    alice = await make_user("alice")
    await make_user("bob")
    sid = await api_post(client, alice, "mine")
    assert (await client.get("/@nobody")).status_code == 404
    assert (await client.get("/@alice/123")).status_code == 404
    assert (await client.get("/@alice/not-a-number")).status_code == 404
    assert (await client.get(f"/@bob/{sid}")).status_code == 404  # someone else's post under bob


async def test_devanagari_hashtag_page(client, make_user):
    alice = await make_user("alice")
    await api_post(client, alice, "नमस्ते #भारत")
    r = await client.get("/tags/भारत")
    assert r.status_code == 200 and "नमस्ते" in r.text and "#भारत" in r.text
    assert "/tags/%E0%A4%AD%E0%A4%BE%E0%A4%B0%E0%A4%A4" in r.text  # the tag link in the post


# --- visibility --------------------------------------------------------------------------------

async def test_private_posts__never_on_public_pages_or_to_non_followers(app, client, make_user):
    alice = await make_user("alice")
    carol = await make_user("carol")
    await client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=carol.headers)
    public_id = await api_post(client, alice, "open words #topic")
    secret_id = await api_post(client, alice, "secretword for followers #topic", visibility="private")
    paths = ["/", "/public", "/tags/topic", "/@alice", f"/@alice/{public_id}", "/search?q=secretword"]
    # A visitor, and bob who does not follow alice:
    for who in (None, "bob"):
        async with browser(app) as b:
            if who:
                await make_user(who)
                assert (await sign_in(b, who)).status_code == 303
                paths_for = [*paths, "/home"]
            else:
                paths_for = paths
            for path in paths_for:
                r = await b.get(path)
                assert r.status_code == 200, (who, path)
                assert "for followers" not in r.text, (who, path)
            assert (await b.get(f"/@alice/{secret_id}")).status_code == 404, who
    # carol follows alice: her home, the profile and the thread show it; public pages still not.
    async with browser(app) as c:
        await sign_in(c, "carol")
        for path in ("/home", "/@alice", f"/@alice/{secret_id}", "/search?q=secretword"):
            assert "for followers" in (await c.get(path)).text, path
        for path in ("/public", "/tags/topic"):
            assert "for followers" not in (await c.get(path)).text, path


# --- writing through the actions ---------------------------------------------------------------

async def test_compose__posts_and_redirects_home(client, make_user):
    await signed_in(client, make_user, "alice")
    r = await web_post(client, "first post from the web", spoiler_text="spoiler here", visibility="unlisted")
    assert r.status_code == 303 and r.headers["location"] == "/home"
    home = (await client.get("/home")).text
    assert "first post from the web" in home and "spoiler here" in home and "<details" in home
    api = await client.get("/api/v1/timelines/public")
    assert api.json() == []  # unlisted: not on the public timeline


async def test_compose__too_long__422_keeps_the_draft(client, make_user, settings):
    await signed_in(client, make_user, "alice")
    text = "x" * (settings.max_status_chars + 1)
    r = await web_post(client, text, spoiler_text="cw kept")
    assert r.status_code == 422 and 'role="alert"' in r.text
    assert text in r.text and 'value="cw kept"' in r.text
    assert (await client.get("/api/v1/timelines/public")).json() == []


async def test_compose__with_image_and_alt_text(client, make_user):
    await signed_in(client, make_user, "alice")
    r = await web_post(
        client, "look at this", description="A red rectangle",
        files={"file": ("red.png", png_bytes(), "image/png")},
    )
    assert r.status_code == 303, r.text
    home = (await client.get("/home")).text
    assert 'alt="A red rectangle"' in home
    src = re.search(r'<img src="([^"]+)" alt="A red rectangle"', home).group(1)
    path = src.split("chaupal.test", 1)[1]
    assert (await client.get(path)).status_code == 200


async def test_compose__bad_image__422_and_no_post(client, make_user):
    await signed_in(client, make_user, "alice")
    r = await web_post(client, "broken", files={"file": ("x.png", b"not an image", "image/png")})
    assert r.status_code == 422
    assert (await client.get("/api/v1/timelines/public")).json() == []


async def test_reply__from_thread_page_notifies_and_shows_in_thread(app, client, make_user):
    alice = await make_user("alice")
    sid = await api_post(client, alice, "question?")
    await signed_in(client, make_user, "bob")
    page = await client.get(f"/@alice/{sid}")
    assert 'name="in_reply_to_id"' in page.text and "@alice " in page.text
    r = await client.post("/web/statuses", data={
        "status": "@alice an answer", "in_reply_to_id": sid, "next": f"/@alice/{sid}",
        "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303 and r.headers["location"].startswith(f"/@alice/{sid}#status-")
    thread = (await client.get(f"/@alice/{sid}")).text
    assert "question?" in thread and "an answer" in thread
    async with browser(app) as a:
        await sign_in(a, "alice")
        notes = (await a.get("/notifications")).text
        assert "mentioned you" in notes and "an answer" in notes


async def test_follow_unfollow__from_profile(client, make_user):
    await make_user("alice")
    bob = await signed_in(client, make_user, "bob")
    profile = await client.get("/@alice")
    action = re.search(r'action="(/web/accounts/\d+/follow)"', profile.text).group(1)
    r = await client.post(action, data={"csrf_token": csrf_from(profile.text)})
    assert r.status_code == 303
    rel = await client.get("/api/v1/accounts/verify_credentials", headers=bob.headers)
    assert rel.json()["following_count"] == 1
    profile = await client.get("/@alice")
    assert "Unfollow" in profile.text
    assert "bob" in (await client.get("/@alice/followers")).text
    action = re.search(r'action="(/web/accounts/\d+/unfollow)"', profile.text).group(1)
    await client.post(action, data={"csrf_token": csrf_from(profile.text)})
    rel = await client.get("/api/v1/accounts/verify_credentials", headers=bob.headers)
    assert rel.json()["following_count"] == 0


async def test_favourite_boost_delete__buttons(client, make_user):
    alice = await make_user("alice")
    sid = await api_post(client, alice, "likeable")
    await signed_in(client, make_user, "bob")
    page = await client.get(f"/@alice/{sid}")
    token = csrf_from(page.text)
    assert (await client.post(f"/web/statuses/{sid}/favourite", data={"csrf_token": token})).status_code == 303
    assert (await client.post(f"/web/statuses/{sid}/reblog", data={"csrf_token": token})).status_code == 303
    got = (await client.get(f"/api/v1/statuses/{sid}", headers=alice.headers)).json()
    assert got["favourites_count"] == 1 and got["reblogs_count"] == 1
    page = (await client.get(f"/@alice/{sid}")).text
    assert f'action="/web/statuses/{sid}/unfavourite"' in page and 'aria-pressed="true"' in page
    # bob cannot delete alice's post
    r = await client.post(f"/web/statuses/{sid}/delete", data={"csrf_token": token})
    assert r.status_code == 404
    assert (await client.get(f"/api/v1/statuses/{sid}")).status_code == 200


async def test_delete__own_post(client, make_user):
    alice = await signed_in(client, make_user, "alice")
    sid = await api_post(client, alice, "regrettable")
    page = await client.get(f"/@alice/{sid}")
    r = await client.post(f"/web/statuses/{sid}/delete", data={"csrf_token": csrf_from(page.text)})
    assert r.status_code == 303
    assert (await client.get(f"/api/v1/statuses/{sid}")).status_code == 404


async def test_profile_settings__display_name_and_bio(client, make_user):
    await signed_in(client, make_user, "alice")
    page = await client.get("/settings/profile")
    r = await client.post("/settings/profile", data={
        "display_name": "Alice <b>A</b>", "note": "Hi <script>alert(1)</script> #bio",
        "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303
    profile = (await client.get("/@alice")).text
    assert "Alice &lt;b&gt;A&lt;/b&gt;" in profile  # plain text, escaped
    assert "<script>alert(1)" not in profile


async def test_profile_settings__too_long__422(client, make_user, settings):
    await signed_in(client, make_user, "alice")
    page = await client.get("/settings/profile")
    r = await client.post("/settings/profile", data={
        "display_name": "x" * (settings.max_display_name_chars + 1), "note": "",
        "csrf_token": csrf_from(page.text)})
    assert r.status_code == 422


# --- sign up -----------------------------------------------------------------------------------

async def _sign_up(client, username: str, **extra):
    page = await client.get("/auth/sign_up")
    data = {"username": username, "email": f"{username}@example.org", "password": "password123",
            "agreement": "1", "csrf_token": csrf_from(page.text), **extra}
    return await client.post("/auth/sign_up", data=data)


async def test_sign_up__creates_account_and_signs_in(client):
    r = await _sign_up(client, "newbie")
    assert r.status_code == 303 and r.headers["location"] == "/home"
    cookie = r.headers["set-cookie"]
    assert "chaupal_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "@newbie" in (await client.get("/home")).text


async def test_sign_up__taken_username_and_missing_agreement__422(client, make_user):
    await make_user("alice")
    r = await _sign_up(client, "alice")
    assert r.status_code == 422 and "already taken" in r.text
    client.cookies.clear()
    r = await _sign_up(client, "other", agreement="")
    assert r.status_code == 422


async def test_sign_up__closed_registrations__403(app, client, settings):
    app.state.settings = settings.model_copy(update={"registrations": "closed"})
    assert (await client.get("/auth/sign_up")).status_code == 403
    r = await client.post("/auth/sign_up", data={"username": "x"})
    assert r.status_code == 403


async def test_sign_up__approval_mode__account_waits(app, client, session, settings):
    app.state.settings = settings.model_copy(update={"registrations": "approval"})
    r = await _sign_up(client, "waiting", reason="I work at a ministry")
    assert r.status_code == 200 and "approval" in r.text and "chaupal_session" not in r.cookies


async def test_sign_up__rate_limited_per_address(app, client, settings):
    limited = settings.model_copy(update={"rate_limit_sign_up": 2})
    app.state.settings = limited
    codes = [(await _sign_up(client, f"user{i}")).status_code for i in range(3)]
    assert codes[:2] == [303, 303] and codes[2] == 429


# --- CSRF --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/web/statuses", "/settings/profile", "/auth/sign_up", "/auth/sign_out"])
async def test_forms_without_csrf__403(client, make_user, path):
    await signed_in(client, make_user, "alice")
    r = await client.post(path, data={"status": "x", "display_name": "x", "username": "zed"})
    assert r.status_code == 403


async def test_status_and_follow_forms_without_csrf__403(client, make_user):
    alice = await make_user("alice")
    sid = await api_post(client, alice, "hi")
    await signed_in(client, make_user, "bob")
    for path in (f"/web/statuses/{sid}/favourite", f"/web/accounts/{alice.account_id}/follow"):
        r = await client.post(path, data={"csrf_token": "forged"})
        assert r.status_code == 403, path
    assert (await client.get(f"/api/v1/statuses/{sid}")).json()["favourites_count"] == 0


# --- paging ------------------------------------------------------------------------------------

async def test_load_more__max_id_paging_and_htmx_fragment(client, make_user, settings):
    alice = await make_user("alice")
    ids = [await api_post(client, alice, f"post number {i}") for i in range(settings.page_statuses_default + 3)]
    first = (await client.get("/@alice")).text
    assert f"post number {len(ids) - 1}<" in first and "post number 0<" not in first
    more = re.search(r'<a href="([^"]+)" hx-get="([^"]+)"', first)
    assert more and f"max_id={ids[3]}" in more.group(1)
    plain = (await client.get(more.group(1).replace("&amp;", "&"))).text  # works without JS
    assert "post number 0<" in plain and "<html" in plain
    fragment = await client.get(more.group(2).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert "post number 0<" in fragment.text and "<html" not in fragment.text
    assert 'id="more"' not in fragment.text  # the last page has no further link


# --- live updates ------------------------------------------------------------------------------

async def test_live__home_page_subscribes_to_stream(client, make_user):
    await signed_in(client, make_user, "alice")
    home = (await client.get("/home")).text
    assert 'sse-connect="/web/stream/home?since_id=' in home and 'sse-swap="status"' in home


async def test_live__stream_needs_sign_in(client):
    assert (await client.get("/web/stream/home")).status_code == 401


async def test_live__rendered_only_for_those_who_may_see_it_on_home(app, client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    carol = await make_user("carol")
    await client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    with hub_of(app.state).subscribe() as sub:
        sid = await api_post(client, alice, "live private words", visibility="private")
        event = await sub.get()
    assert event["status_id"] == sid
    shown = await render_for_home(app, bob.account_id, [int(sid)], "token", None)
    assert len(shown) == 1 and "live private words" in shown[0][1] and shown[0][0] == sid
    assert await render_for_home(app, carol.account_id, [int(sid)], "token", None) == []


async def test_live__stream_sends_missed_posts_then_live_ones(app, client, make_user, session):
    from starlette.requests import Request

    alice = await make_user("alice")
    bob = await make_user("bob")
    await client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    before = await api_post(client, bob, "already on the page")
    missed = await api_post(client, alice, "posted while reconnecting")
    viewer = await session.get(Account, bob.account_id)
    await session.commit()  # end the read: SQLite writers must not wait on it
    request = Request({"type": "http", "app": app, "method": "GET", "path": "/web/stream/home",
                       "headers": [], "query_string": b""})
    stream = home_events(request, viewer, None, int(before))
    try:
        assert (await anext(stream)).startswith("retry:")
        chunk = await anext(stream)
        assert chunk.startswith(f"event: status\nid: {missed}\ndata: ") and "posted while reconnecting" in chunk
        assert all(line.startswith(("event:", "id:", "data:")) for line in chunk.strip().split("\n"))
        live = await api_post(client, alice, "arrives live")
        chunk = await anext(stream)
        assert f"id: {live}" in chunk and "arrives live" in chunk
    finally:
        await stream.aclose()
    assert hub_of(app.state).subscriber_count == 0


async def test_live__stream_limits_are_settings(app, make_user, session, settings):
    """stream_max_seconds ends a stream; stream_keepalive_seconds paces keep-alive comments."""
    from starlette.requests import Request

    bob = await make_user("bob")
    viewer = await session.get(Account, bob.account_id)
    await session.commit()
    app.state.settings = settings.model_copy(
        update={"stream_max_seconds": 1.5, "stream_keepalive_seconds": 0.5}
    )
    try:
        request = Request({"type": "http", "app": app, "method": "GET",
                           "path": "/web/stream/home", "headers": [], "query_string": b""})
        chunks = [chunk async for chunk in home_events(request, viewer, None, None)]
    finally:
        app.state.settings = settings
    assert chunks[0].startswith("retry:")
    assert any(": keepalive" in c for c in chunks)  # and the generator ended by itself


def test_live__subscriber_queue_size_is_a_setting(settings):
    from types import SimpleNamespace

    state = SimpleNamespace(settings=settings.model_copy(update={"stream_subscriber_queue": 2}))
    hub = hub_of(state)
    with hub.subscribe() as sub:
        for n in range(3):
            hub.publish({"type": "status.created", "status_id": str(n)})
        assert sub.overflowed


async def test_profile_and_post_pages__link_their_activitypub_documents(client, make_user):
    alice = await make_user("alice")
    r = await client.post("/api/v1/statuses", json={"status": "namaste"}, headers=alice.headers)
    status_id = r.json()["id"]
    profile = await client.get("/@alice")
    assert '<link rel="alternate" type="application/activity+json" href="http://chaupal.test/users/alice">' in profile.text
    post = await client.get(f"/@alice/{status_id}")
    assert (f'<link rel="alternate" type="application/activity+json" '
            f'href="http://chaupal.test/users/alice/statuses/{status_id}">') in post.text
