"""The live reaction monitor in Chromium against `chaupal serve`: a visitor opens /monitor for
a post, a citizen replies through the API, and the page's numbers, SVG chart and question list
change without a reload (SSE + monitor.js). Screenshots go to test-artifacts/."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import expect

from tests.web.test_browser import _api_token, _sign_up

WAIT_MS = 15_000  # generous: a bound on a hung page, not a speed assertion


def _post(base: str, token: str, text: str, **fields: str) -> dict:
    r = httpx.post(f"{base}/api/v1/statuses", headers={"Authorization": f"Bearer {token}"},
                   data={"status": text, **fields})
    assert r.status_code == 200, r.text
    return r.json()


def test_monitor__new_reply_shows_without_reload(chromium, e2e_server, artifacts):
    base = e2e_server.url
    suffix = uuid.uuid4().hex[:6]
    ministry, citizen = f"min{suffix}", f"cit{suffix}"
    shots = artifacts / e2e_server.backend
    shots.mkdir(exist_ok=True)
    signup = chromium.new_context()
    visitor = chromium.new_context(viewport={"width": 1100, "height": 1000})
    try:
        for name in (ministry, citizen):
            page = signup.new_page()
            _sign_up(page, base, name)
            page.context.clear_cookies()
            page.close()
        min_token, cit_token = _api_token(base, ministry), _api_token(base, citizen)
        root = _post(base, min_token, "Metro phase two opens today #metro")
        _post(base, cit_token, "Wonderful news, thank you!", in_reply_to_id=root["id"])

        v = visitor.new_page()
        errors: list[str] = []
        v.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        failed: list[str] = []
        v.on("response", lambda r: failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
        v.goto(f"{base}/monitor")
        v.get_by_label("Watch").select_option("status")
        v.get_by_label("Post, hashtag, keyword or @username").fill(root["url"])
        v.get_by_role("button", name="Monitor").click()
        v.wait_for_selector("#monitor[data-live=open]", timeout=WAIT_MS)
        assert v.locator("#monitor-total").inner_text() == "1"
        assert v.locator("#monitor-panel svg.reactions-series rect.bar").count() == 1
        v.evaluate("window.__sameDocument = true")

        _post(base, cit_token, f"@{ministry} when will it reach my district?", in_reply_to_id=root["id"])
        expect(v.locator("#monitor-total")).to_have_text("2", timeout=WAIT_MS)
        v.locator("ol.questions", has_text="when will it reach my district?").wait_for(timeout=WAIT_MS)
        assert v.locator("#monitor-unanswered").inner_text() == "1"
        assert v.evaluate("window.__sameDocument") is True  # no reload happened
        v.screenshot(path=shots / "monitor.png", full_page=True)

        # The ministry answers: the question leaves the list, live.
        question = httpx.get(f"{base}/api/chaupal/v1/reactions/statuses/{root['id']}").json()
        qid = question["unanswered_questions"][0]["id"]
        _post(base, min_token, f"@{citizen} By March", in_reply_to_id=qid)
        expect(v.locator("#monitor-unanswered")).to_have_text("0", timeout=WAIT_MS)
        assert not errors, errors  # e.g. a CSP violation
        assert not failed, failed
    finally:
        signup.close()
        visitor.close()
