"""rel="me" profile-link verification against a local HTTP server: matching and non-matching
pages, the size limit, redirects, private addresses refused unless `fetch_allow_private`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from chaupal.actions.link_verification import verify_account_links
from chaupal.gov.rel_me import FetchRefused, fetch_page, is_public_address, links_back, rel_me_links
from chaupal.jobs import JobRunner
from chaupal.models import Job

PAGES: dict[str, str] = {}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(2)
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/good")
            self.end_headers()
            return
        body = PAGES.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _pages(profile: str) -> None:
    PAGES["/good"] = f'<html><head><link rel="stylesheet" href="x.css"></head><body><a rel="me noopener" href="{profile}/">me</a></body></html>'
    PAGES["/bad"] = '<html><body><a rel="me" href="http://chaupal.test/@mallory">someone else</a><a href="' + profile + '">no rel</a></body></html>'
    PAGES["/huge"] = f'<a rel="me" href="{profile}">me</a>' + " " * 5000


def test_rel_me_links__anchor_and_link_elements_relative_and_tokens():
    html = (
        '<link REL="Me" href="https://x.example/@a"><a rel="nofollow me" href="/@b">b</a>'
        '<a rel="menu" href="https://x.example/@c">c</a><a rel="me">no href</a><div rel="me" href="/d"></div>'
    )
    assert rel_me_links(html, "https://x.example/page") == ["https://x.example/@a", "https://x.example/@b"]
    assert links_back(html, "https://x.example/", ["HTTPS://X.example:443/@b/"])
    assert not links_back(html, "https://x.example/", ["https://x.example/@c"])


@pytest.mark.parametrize(
    ("ip", "public"),
    [("127.0.0.1", False), ("10.1.2.3", False), ("192.168.0.1", False), ("169.254.169.254", False),
     ("::1", False), ("::ffff:127.0.0.1", False), ("fd00::1", False), ("8.8.8.8", True), ("2001:4860:4860::8888", True)],
)
def test_is_public_address(ip, public):
    assert is_public_address(ip) is public


async def test_fetch__loopback_refused_unless_setting_on(settings, site):
    _pages("http://chaupal.test/@alice")
    with pytest.raises(FetchRefused, match="private or loopback"):
        await fetch_page(settings, f"{site}/good")
    settings.fetch_allow_private = True
    url, page = await fetch_page(settings, f"{site}/moved")
    assert url == f"{site}/good" and 'rel="me noopener"' in page
    with pytest.raises(FetchRefused, match="only http"):
        await fetch_page(settings, "file:///etc/passwd")


async def test_fetch__limits_from_settings(settings, site):
    _pages("http://chaupal.test/@alice")
    settings.fetch_allow_private = True
    settings.fetch_max_bytes = 1000
    with pytest.raises(FetchRefused, match="larger than 1000 bytes"):
        await fetch_page(settings, f"{site}/huge")
    settings.fetch_max_redirects = 0
    with pytest.raises(FetchRefused, match="redirects"):
        await fetch_page(settings, f"{site}/moved")


async def test_fetch__timeout_from_settings(settings, site):
    settings.fetch_allow_private = True
    settings.fetch_timeout_seconds = 0.2
    with pytest.raises(FetchRefused, match="ReadTimeout"):
        await fetch_page(settings, f"{site}/slow")


async def test_profile_fields__job_verifies_matching_link_only(app, client, settings, make_user, site):
    alice = await make_user("alice")
    _pages(f"{settings.base_url}/@alice")
    fields = {
        "0": {"name": "Website", "value": f"{site}/good"},
        "1": {"name": "Blog", "value": f"{site}/bad"},
        "2": {"name": "Gone", "value": f"{site}/missing"},
        "3": {"name": "Motto", "value": "Satyameva Jayate"},
    }
    r = await client.patch(
        "/api/v1/accounts/update_credentials", json={"fields_attributes": fields}, headers=alice.headers
    )
    assert r.status_code == 200, r.text
    async with app.state.sessions() as s:
        jobs = (await s.scalars(select(Job).where(Job.kind == "verify_links"))).all()
    assert [j.payload for j in jobs] == [{"account_id": alice.account_id}]

    settings.fetch_allow_private = True
    assert await JobRunner(app.state.sessions, settings).run_until_idle() == 1
    shown = (await client.get(f"/api/v1/accounts/{alice.account_id}")).json()["fields"]
    verified = {f["name"]: f["verified_at"] for f in shown}
    assert verified["Website"] is not None and verified["Website"].endswith("Z")
    assert verified["Blog"] is None and verified["Gone"] is None and verified["Motto"] is None

    # Saving again with the link unchanged keeps its verification; a page that stops linking
    # back loses it at the next check.
    r = await client.patch(
        "/api/v1/accounts/update_credentials", json={"fields_attributes": fields}, headers=alice.headers
    )
    assert {f["name"]: f["verified_at"] for f in r.json()["fields"]}["Website"] == verified["Website"]
    PAGES["/good"] = "<p>moved on</p>"
    async with app.state.sessions() as s:
        assert await verify_account_links(s, settings, alice.account_id) == 0
        await s.commit()
    shown = (await client.get(f"/api/v1/accounts/{alice.account_id}")).json()["fields"]
    assert all(f["verified_at"] is None for f in shown)


async def test_profile_fields__private_address_not_verified_by_default(app, client, settings, make_user, site):
    alice = await make_user("alice")
    _pages(f"{settings.base_url}/@alice")
    r = await client.patch(
        "/api/v1/accounts/update_credentials",
        json={"fields_attributes": [{"name": "Website", "value": f"{site}/good"}]},
        headers=alice.headers,
    )
    assert r.status_code == 200
    async with app.state.sessions() as s:
        assert await verify_account_links(s, settings, alice.account_id) == 0


async def test_profile_fields__no_links__no_job(app, client, settings, make_user):
    alice = await make_user("alice")
    r = await client.patch(
        "/api/v1/accounts/update_credentials",
        json={"fields_attributes": [{"name": "Motto", "value": "no links here"}]},
        headers=alice.headers,
    )
    assert r.status_code == 200
    async with app.state.sessions() as s:
        assert (await s.scalars(select(Job).where(Job.kind == "verify_links"))).all() == []
