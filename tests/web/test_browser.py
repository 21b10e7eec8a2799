"""The web app in a real browser (Chromium via Playwright) against `chaupal serve`: two
people sign up, post with an image and alt text, follow, reply, get notified, and see a post
made through the API arrive on an open home page without reloading. Screenshots of the main
pages go to test-artifacts/."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from tests.e2e.browser import authorize

PASSWORD = "correct horse battery"
OOB = "urn:ietf:wg:oauth:2.0:oob"
WAIT_MS = 15_000


def _sign_up(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/auth/sign_up")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{base}/home")


def _png(path: Path) -> Path:
    img = Image.new("RGB", (320, 200), (255, 153, 51))
    for x in range(320):
        for y in range(80, 120):
            img.putpixel((x, y), (19, 136, 8))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return path


def _api_token(base: str, username: str) -> str:
    app = httpx.post(f"{base}/api/v1/apps", data={
        "client_name": "browser-test", "redirect_uris": OOB, "scopes": "read write"}).json()
    url = f"{base}/oauth/authorize?" + str(httpx.QueryParams({
        "client_id": app["client_id"], "redirect_uri": OOB, "response_type": "code", "scope": "read write"}))
    code = authorize(url, username, PASSWORD).code
    token = httpx.post(f"{base}/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": app["client_id"],
        "client_secret": app["client_secret"], "redirect_uri": OOB}).json()
    return token["access_token"]


def test_two_people__post_follow_reply_notify_and_live_home(chromium, e2e_server, artifacts, tmp_path):
    base = e2e_server.url
    suffix = uuid.uuid4().hex[:6]
    ann, ben = f"ann{suffix}", f"ben{suffix}"
    shots = artifacts / e2e_server.backend
    shots.mkdir(exist_ok=True)
    ctx_a = chromium.new_context(viewport={"width": 1100, "height": 900})
    ctx_b = chromium.new_context(viewport={"width": 1100, "height": 900})
    visitor = chromium.new_context(viewport={"width": 1100, "height": 900})
    try:
        a, b = ctx_a.new_page(), ctx_b.new_page()
        b.goto(f"{base}/auth/sign_up")
        b.screenshot(path=shots / "sign-up.png")
        _sign_up(a, base, ann)
        _sign_up(b, base, ben)

        # A posts text with an image and its alt text.
        a.get_by_label("What is happening?").fill(f"Tiranga colours #tiranga from {ann}")
        assert "characters left" in a.locator("#compose-count").inner_text()  # live counter
        a.get_by_text("Add an image").click()
        a.get_by_label("File").set_input_files(str(_png(tmp_path / "flag.png")))
        a.get_by_label("alt text").fill("Saffron rectangle with a green band")
        a.get_by_role("button", name="Post", exact=True).click()
        a.wait_for_url(f"{base}/home")
        a.get_by_text("Tiranga colours").first.wait_for()

        # B follows A from A's profile, then sees the post with its thumbnail on home.
        b.goto(f"{base}/@{ann}")
        b.get_by_role("button", name="Follow").click()
        b.get_by_role("button", name="Unfollow").wait_for()
        b.screenshot(path=shots / "profile.png", full_page=True)
        b.goto(f"{base}/home")
        thumb = b.get_by_alt_text("Saffron rectangle with a green band")
        thumb.wait_for()
        assert b.evaluate("img => img.complete && img.naturalWidth > 0", thumb.element_handle())

        # B replies from the thread page; the thread shows both.
        b.locator("article.status", has_text="Tiranga colours").locator("a.when").click()
        b.wait_for_url(re.compile(rf"{re.escape(base)}/@{ann}/\d+$"))
        thread_url = b.url
        b.get_by_label("Your reply").fill(f"@{ann} Jai Hind from {ben}")
        b.get_by_role("button", name="Reply", exact=True).click()
        b.get_by_text(f"Jai Hind from {ben}").wait_for()
        b.goto(thread_url)
        assert b.get_by_text("Tiranga colours").count() >= 1
        assert b.get_by_text(f"Jai Hind from {ben}").count() == 1
        b.screenshot(path=shots / "thread.png", full_page=True)

        # A sees the notification.
        a.goto(f"{base}/notifications")
        note = a.locator(".notification", has_text=f"Jai Hind from {ben}")
        note.wait_for()
        assert "mentioned you" in note.inner_text()
        a.screenshot(path=shots / "notifications.png", full_page=True)

        # Live: B's home is open; A posts through the API; it appears without a reload.
        b.goto(f"{base}/home")
        b.wait_for_selector("body[data-live=open]", timeout=WAIT_MS)
        b.evaluate("window.__sameDocument = true")
        token = _api_token(base, ann)
        r = httpx.post(f"{base}/api/v1/statuses", headers={"Authorization": f"Bearer {token}"},
                       data={"status": f"Live from the API, {ann}"})
        assert r.status_code == 200, r.text
        b.locator("#live article.status", has_text=f"Live from the API, {ann}").wait_for(timeout=WAIT_MS)
        assert b.evaluate("window.__sameDocument") is True  # no reload happened
        b.screenshot(path=shots / "home.png", full_page=True)

        # Visitors: the landing page (public timeline), search, and a phone-width home.
        v = visitor.new_page()
        v.goto(f"{base}/")
        v.get_by_text("Tiranga colours").first.wait_for()
        v.screenshot(path=shots / "landing.png", full_page=False)
        v.goto(f"{base}/search?q={ann}")
        v.screenshot(path=shots / "search.png")
        phone = ctx_b.new_page()
        phone.set_viewport_size({"width": 375, "height": 740})
        phone.goto(f"{base}/home")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        phone.screenshot(path=shots / "home-phone.png")
    finally:
        for ctx in (ctx_a, ctx_b, visitor):
            ctx.close()


def test_reading_without_javascript(chromium, e2e_server):
    """Posts are in the HTML itself: a browser with JavaScript off reads timelines and threads."""
    base = e2e_server.url
    ctx = chromium.new_context(java_script_enabled=False)
    try:
        page = ctx.new_page()
        page.goto(f"{base}/public")
        assert page.locator("main h1").inner_text() == "Public timeline"
        first = page.locator("article.status a.when").first
        if first.count():
            first.click()
            page.locator("article.status.focus").wait_for()
    finally:
        ctx.close()


def test_keyboard_focus_is_visible(chromium, e2e_server):
    base = e2e_server.url
    ctx = chromium.new_context()
    try:
        page = ctx.new_page()
        page.goto(f"{base}/public")
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent")
        assert focused == "Skip to content"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", "")
    finally:
        ctx.close()
