"""The account switcher in a real browser (Chromium via Playwright) against `chaupal serve`:
a staff member signs in, switches to the ministry, posts, sees the post on the ministry's
profile, and the owner's audit page lists it with the staff member's name."""

from __future__ import annotations

import uuid
from typing import Any

PASSWORD = "correct horse battery"


def _sign_up(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/auth/sign_up")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{base}/home")


def test_staff_member_switches_to_the_ministry_and_posts(chromium: Any, e2e_server: Any, artifacts: Any) -> None:
    base = e2e_server.url
    sfx = uuid.uuid4().hex[:6]
    ministry, staff = f"health{sfx}", f"staff{sfx}"
    made = e2e_server.cli("admin", "create-institution", ministry, "--display-name", "Ministry of Health",
                          "--category", "ministry")
    assert made.returncode == 0, made.stdout + made.stderr
    shots = artifacts / e2e_server.backend
    shots.mkdir(exist_ok=True)
    ctx = chromium.new_context(viewport={"width": 1100, "height": 900})
    try:
        page = ctx.new_page()
        _sign_up(page, base, staff)
        added = e2e_server.cli("gov", "add-member", ministry, staff, "--role", "owner")
        assert added.returncode == 0, added.stdout + added.stderr

        page.goto(f"{base}/home")
        page.get_by_label("Account").select_option(label=f"@{ministry} (owner)")
        page.get_by_role("button", name="Switch").click()
        page.wait_for_url(f"{base}/home")
        banner = page.locator("#acting-as")
        assert f"Acting as @{ministry}" in banner.inner_text()
        page.screenshot(path=shots / "acting-as-ministry.png")

        text = f"Free vaccination camps this week ({sfx})"
        page.get_by_label("What is happening?").fill(text)
        page.get_by_role("button", name="Post", exact=True).click()
        page.wait_for_url(f"{base}/home")

        page.goto(f"{base}/@{ministry}")
        assert text in page.locator("main").inner_text()
        page.goto(f"{base}/@{staff}")
        assert text not in page.locator("main").inner_text()

        page.get_by_role("link", name="Audit log").click()
        page.wait_for_url(f"{base}/institutions/{ministry}/audit")
        audit = page.locator("table.audit").inner_text()
        assert "status.create" in audit and f"@{staff}" in audit
        assert page.get_by_role("link", name="CSV").count() == 1
        page.screenshot(path=shots / "institution-audit.png")

        # Back to yourself: posts go out under the person's own name again.
        page.get_by_label("Account").select_option(label=f"@{staff} (yourself)")
        page.get_by_role("button", name="Switch").click()
        page.wait_for_url(f"{base}/institutions/{ministry}/audit")  # the page it was on
        assert page.locator("#acting-as").count() == 0
    finally:
        ctx.close()
