"""WebFinger, host-meta and NodeInfo: how other servers find our accounts and what we run."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from tests.federation.test_render_fixtures import assert_same_shape

FIXTURES = Path(__file__).parents[2] / "federation" / "fixtures"


async def test_webfinger__acct_resource__jrd_with_self_profile_and_subscribe(client, make_user):
    await make_user("finmin", avatar_path="accounts/avatars/f.jpg")
    r = await client.get("/.well-known/webfinger", params={"resource": "acct:finmin@chaupal.test"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/jrd+json; charset=utf-8"
    body = r.json()
    assert_same_shape(json.loads((FIXTURES / "webfinger.json").read_text()), body)
    assert body["subject"] == "acct:finmin@chaupal.test"
    links = {link["rel"]: link for link in body["links"]}
    assert links["self"] == {
        "rel": "self",
        "type": "application/activity+json",
        "href": "http://chaupal.test/users/finmin",
    }
    assert links["http://webfinger.net/rel/profile-page"]["href"] == "http://chaupal.test/@finmin"
    assert "{uri}" in links["http://ostatus.org/schema/1.0/subscribe"]["template"]
    assert links["http://webfinger.net/rel/avatar"]["type"] == "image/jpeg"
    assert "http://chaupal.test/users/finmin" in body["aliases"]


async def test_webfinger__other_spellings__same_account(client, make_user):
    await make_user("finmin")
    for resource in (
        "finmin@chaupal.test",
        "acct:FinMin@CHAUPAL.test.",
        "@finmin@chaupal.test",
        "http://chaupal.test/users/finmin",
        "http://chaupal.test/@finmin",
    ):
        r = await client.get("/.well-known/webfinger", params={"resource": resource})
        assert r.status_code == 200, resource
        assert r.json()["subject"] == "acct:finmin@chaupal.test"


async def test_webfinger__unknown_or_foreign_or_missing__404_or_400(client, make_user):
    await make_user("finmin")
    for resource in (
        "acct:nobody@chaupal.test",
        "acct:finmin@gov.example",
        "https://gov.example/users/finmin",
        "acct:finmin",
        "http://chaupal.test/users/finmin/statuses/1",
    ):
        r = await client.get("/.well-known/webfinger", params={"resource": resource})
        assert r.status_code == 404, resource
        assert "error" in r.json()
    r = await client.get("/.well-known/webfinger")
    assert r.status_code == 400 and "error" in r.json()


async def test_webfinger__suspended_account__410(client, make_user):
    await make_user("gone", suspended_at=datetime(2026, 1, 1))
    r = await client.get("/.well-known/webfinger", params={"resource": "acct:gone@chaupal.test"})
    assert r.status_code == 410


async def test_host_meta__xrd_points_at_webfinger(client):
    r = await client.get("/.well-known/host-meta")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/xrd+xml")
    assert 'template="http://chaupal.test/.well-known/webfinger?resource={uri}"' in r.text


async def test_nodeinfo__links_and_both_versions(client, make_user, settings):
    await make_user("alice")
    await make_user("gone", suspended_at=datetime(2026, 1, 1))
    r = await client.post(
        "/api/v1/statuses", json={"status": "hello"}, headers=(await make_user("bob")).headers
    )
    assert r.status_code == 200
    links = (await client.get("/.well-known/nodeinfo")).json()["links"]
    assert [link["href"] for link in links] == [
        "http://chaupal.test/nodeinfo/2.0",
        "http://chaupal.test/nodeinfo/2.1",
    ]
    assert links[0]["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.0"
    for version in ("2.0", "2.1"):
        r = await client.get(f"/nodeinfo/{version}")
        assert r.status_code == 200
        assert f"schema/{version}#" in r.headers["content-type"]
        body = r.json()
        assert body["version"] == version
        assert body["software"]["name"] == "chaupal"
        assert body["protocols"] == ["activitypub"]
        assert body["usage"]["users"]["total"] == 2  # the suspended account is not counted
        assert body["usage"]["users"]["activeMonth"] == 1  # bob posted
        assert body["usage"]["localPosts"] == 1
        assert body["openRegistrations"] is (settings.registrations == "open")
    assert "repository" in body["software"]
