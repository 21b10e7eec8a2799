"""Who-to-follow and trends with the real Mastodon.py client against `chaupal serve` (both
backends): suggestions are read (v2 and v1) and dismissed; a moderator approves a Devanagari
hashtag, a link and a status, and citizens then see them trending."""

from __future__ import annotations

import subprocess
import sys
import uuid

import httpx
from mastodon import Mastodon

from tests.e2e.browser import authorize
from tests.e2e.conftest import ROOT, Server
from tests.e2e.entities import RecordingSession, assert_entity, entity_errors

PASSWORD = "correct horse battery staple"
OOB = "urn:ietf:wg:oauth:2.0:oob"
STAFF_SCOPES = "read write follow admin:read admin:write"
REFRESH = (
    "import asyncio\n"
    "from chaupal.app import create_app\n"
    "from chaupal.config import Settings\n"
    "from chaupal.actions.trends import do_refresh_trends\n"
    "async def main():\n"
    "    app = create_app(Settings())\n"
    "    async with app.router.lifespan_context(app):\n"
    "        async with app.state.sessions() as s:\n"
    "            await do_refresh_trends(s, app.state.settings)\n"
    "            await s.commit()\n"
    "asyncio.run(main())\n"
)


def citizen(server: Server, name: str) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        f"discovery-{name}", scopes=["read", "write", "follow"], api_base_url=server.url,
        session=RecordingSession(),
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server.url,
                   version_check_mode="none", session=RecordingSession())
    api.create_account(name, PASSWORD, f"{name}@example.org", agreement=True, locale="en",
                       scopes=["read", "write", "follow"])
    return api


def moderator(server: Server, name: str) -> Mastodon:
    done = server.cli("admin", "create-account", name, "--email", f"{name}@example.org",
                      "--password", PASSWORD, "--role", "moderator")
    assert done.returncode == 0, done.stdout + done.stderr
    app = httpx.post(f"{server.url}/api/v1/apps", data={
        "client_name": "discovery-mod", "redirect_uris": OOB, "scopes": STAFF_SCOPES}).json()
    url = f"{server.url}/oauth/authorize?" + str(httpx.QueryParams({
        "client_id": app["client_id"], "redirect_uri": OOB, "response_type": "code", "scope": STAFF_SCOPES}))
    code = authorize(url, name, PASSWORD).code
    token = httpx.post(f"{server.url}/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": app["client_id"],
        "client_secret": app["client_secret"], "redirect_uri": OOB}).json()["access_token"]
    return Mastodon(access_token=token, api_base_url=server.url, version_check_mode="none",
                    session=RecordingSession())


def test_suggestions__read_v2_v1_and_dismiss(e2e_server: Server) -> None:
    tag = uuid.uuid4().hex[:6]
    me, friend, star = (citizen(e2e_server, f"{n}{tag}") for n in ("me", "friend", "star"))
    friend_id = friend.me()["id"]
    star_id = star.me()["id"]
    me.account_follow(friend_id)
    friend.account_follow(star_id)

    suggestions = assert_entity(me.suggestions_v2(), "list[Suggestion]")
    by_id = {str(s["account"]["id"]): s for s in suggestions}
    assert str(star_id) in by_id
    assert by_id[str(star_id)]["sources"][0] == "friends_of_friends"
    assert str(friend_id) not in by_id and str(me.me()["id"]) not in by_id
    accounts = assert_entity(me.suggestions_v1(), "list[Account]")
    assert str(star_id) in {str(a["id"]) for a in accounts}
    # `suggestions()` picks v2 or v1 by the server version it detected (none here: v1 accounts)
    assert str(star_id) in {str(s.get("account", s)["id"]) for s in me.suggestions()}

    me.suggestion_delete(star_id)
    assert str(star_id) not in {str(s["account"]["id"]) for s in me.suggestions_v2()}
    assert str(star_id) not in {str(a["id"]) for a in me.suggestions_v1()}


def test_trends__moderated_then_trending(e2e_server: Server) -> None:
    tag = uuid.uuid4().hex[:6]
    mod = moderator(e2e_server, f"mod{tag}")
    people = [citizen(e2e_server, f"c{i}{tag}") for i in range(3)]
    link = f"https://example.gov.in/scheme/{tag}"
    statuses = [p.status_post(f"फसल बीमा #किसान{tag} {link}", language="hi") for p in people]
    for p in people[1:]:
        p.status_favourite(statuses[0]["id"])
    refreshed = subprocess.run([sys.executable, "-c", REFRESH], env=e2e_server.env, cwd=ROOT,
                               capture_output=True, text=True, timeout=120, check=False)
    assert refreshed.returncode == 0, refreshed.stderr

    reader = people[0]
    assert f"किसान{tag}" not in {t["name"] for t in reader.trending_tags()}
    pending = assert_entity(mod.admin_trending_tags(), "list[Tag]")
    mine = [t for t in pending if t["name"] == f"किसान{tag}"]
    assert mine and mine[0]["requires_review"] is True
    approved = mod.admin_approve_trending_tag(mine[0]["id"])
    assert approved["trendable"] is True

    trending = assert_entity(reader.trending_tags(), "list[Tag]")
    assert f"किसान{tag}" in {t["name"] for t in trending}
    assert f"किसान{tag}" in {t["name"] for t in reader.trending_tags(lang="hi")}
    assert f"किसान{tag}" not in {t["name"] for t in reader.trending_tags(lang="en")}

    links = [x for x in mod.admin_trending_links() if x["url"] == link]
    assert links
    mod.admin_approve_trending_link(links[0]["id"])
    cards = reader.trending_links()
    # Mastodon documents link `history` as strings (a UNIX-time `day`, integers cast to strings),
    # exactly like a tag's; Mastodon.py declares TrendingLinkHistory as datetime/int instead.
    raw = RecordingSession.last.json()
    assert [e for e in entity_errors(raw, "list[PreviewCard]") if ".history[" not in e] == []
    assert all(isinstance(v, str) for card in raw for h in card["history"] for v in h.values())
    assert link in {c["url"] for c in cards}

    assert str(statuses[0]["id"]) in {str(s["id"]) for s in mod.admin_trending_statuses()}
    mod.admin_approve_trending_status(statuses[0]["id"])
    trending_statuses = assert_entity(reader.trending_statuses(), "list[Status]")
    assert str(statuses[0]["id"]) in {str(s["id"]) for s in trending_statuses}
