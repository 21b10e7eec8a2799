"""The verification badge in a real browser (Chromium via Playwright) against `chaupal serve`:
on a profile heading, on a status header, with the office link ("Also: @PMO — ...") on both
the person's and the office's profile. Screenshots go to test-artifacts/."""

from __future__ import annotations

import uuid

import httpx
from mastodon import Mastodon

from tests.e2e.test_gov_verification import ADMIN, PASSWORD, staff_token


def test_badges__profile_and_status__accessible_and_typed(chromium, e2e_server, artifacts):
    base = e2e_server.url
    suffix = uuid.uuid4().hex[:6]
    mod = {"Authorization": f"Bearer {staff_token(e2e_server, f'bmod{suffix}')}"}
    office, person = f"PMO{suffix}", f"narendra{suffix}"

    r = httpx.post(f"{base}{ADMIN}/institutions", headers=mod, json={
        "username": office, "display_name": "Prime Minister's Office", "category": "office"})
    assert r.status_code == 200, r.text
    office_id = r.json()["id"]
    client_id, client_secret = Mastodon.create_app("badge-test", scopes=["read", "write"], api_base_url=base)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base, version_check_mode="none")
    api.create_account(person, PASSWORD, f"{person}@example.org", agreement=True, locale="en",
                       scopes=["read", "write"])
    api.account_update_credentials(display_name="Narendra")
    person_id = str(api.me()["id"])
    api.status_post(f"Namaste from {person}")
    steps = [
        ("POST", "/offices", {"office_id": office_id, "holder_id": person_id, "title": "Prime Minister",
                              "role": "head_of_government", "started_on": "2024-06-09"}),
        ("POST", f"/accounts/{office_id}/verification", {"type": "government", "evidence": "gazette"}),
        ("POST", f"/accounts/{person_id}/verification", {"type": "official", "evidence": "sworn in"}),
    ]
    for method, path, body in steps:
        r = httpx.request(method, f"{base}{ADMIN}{path}", headers=mod, json=body)
        assert r.status_code == 200, r.text

    shots = artifacts / e2e_server.backend
    shots.mkdir(exist_ok=True)
    ctx = chromium.new_context(viewport={"width": 1100, "height": 900})
    try:
        page = ctx.new_page()
        page.goto(f"{base}/@{person}")
        heading = page.locator("#profile-name")
        official = heading.get_by_role("img", name="Verified official: holds a public office")
        assert official.count() == 1
        assert official.get_attribute("title") == "Verified official: holds a public office"
        status = page.locator("article.status").first
        assert status.get_by_role("img", name="Verified official: holds a public office").count() == 1
        also = page.locator(".gov-facts .also").inner_text()
        assert f"@{office}" in also and "Prime Minister's Office" in also
        page.screenshot(path=shots / "badge-person.png")

        page.goto(f"{base}/@{office}")
        grey = page.locator("#profile-name").get_by_role("img", name="Verified government account")
        assert grey.count() == 1
        colour = grey.evaluate("el => getComputedStyle(el).backgroundColor")
        assert colour == "rgb(95, 99, 104)"  # grey for government
        facts = page.locator(".gov-facts").inner_text()
        assert "Institution" in facts and f"@{person}" in facts and "Prime Minister" in facts
        page.screenshot(path=shots / "badge-office.png")
    finally:
        ctx.close()
