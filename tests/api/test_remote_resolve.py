"""Search with `resolve=true` and lookup of `user@domain` (issue 7): a remote account or post
we do not hold is fetched from its server (a fake network here: WebFinger answers, actor
documents and Notes served through `chaupal.federation.fetch`), stored once and returned;
anonymous callers and refused domains never cause a fetch."""

from __future__ import annotations

from sqlalchemy import func, select

from chaupal.models import Account, Status
from chaupal.models.federation import DomainAllow, DomainBlock
from tests.federation.inbox_helpers import FakeNetwork, network  # noqa: F401  (fixture)


def ministry(net: FakeNetwork, host: str = "gov.example", name: str = "ministry"):
    actor = net.actor(host, name)
    net.add_webfinger(host, f"acct:{name}@{host}", actor.uri)
    return actor


async def count(session, model, *where) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def test_account_search__resolve__webfinger_fetch_store_once(client, make_user, session, network):  # noqa: F811
    me = await make_user("me")
    actor = ministry(network)
    params = {"q": "ministry@gov.example", "resolve": "true"}
    r = await client.get("/api/v1/accounts/search", params=params, headers=me.headers)
    assert r.status_code == 200, r.text
    assert [a["acct"] for a in r.json()] == ["ministry@gov.example"]
    assert r.json()[0]["uri"] == actor.uri
    # Asked again: the stored account, not a second copy.
    again = await client.get("/api/v1/accounts/search", params=params, headers=me.headers)
    assert [a["id"] for a in again.json()] == [r.json()[0]["id"]]
    assert await count(session, Account, Account.uri == actor.uri) == 1

    # Without resolve an unknown handle is not fetched.
    before = len(network.fetched)
    r = await client.get("/api/v1/accounts/search", params={"q": "other@gov.example"}, headers=me.headers)
    assert r.json() == [] and len(network.fetched) == before


async def test_account_search__resolve__impersonating_webfinger_refused(client, make_user, network):  # noqa: F811
    me = await make_user("me")
    evil = network.actor("evil.example", "ministry")
    network.add_webfinger("gov.example", "acct:ministry@gov.example", evil.uri)  # no round trip
    r = await client.get("/api/v1/accounts/search",
                         params={"q": "ministry@gov.example", "resolve": "true"}, headers=me.headers)
    assert r.status_code == 200 and r.json() == []


async def test_lookup__signed_in_resolves__anonymous_does_not(client, make_user, network):  # noqa: F811
    me = await make_user("me")
    ministry(network)
    r = await client.get("/api/v1/accounts/lookup", params={"acct": "ministry@gov.example"})
    assert r.status_code == 404 and network.fetched == []
    r = await client.get("/api/v1/accounts/lookup", params={"acct": "ministry@gov.example"},
                         headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json()["acct"] == "ministry@gov.example"
    # Now held: anonymous callers find it too.
    r = await client.get("/api/v1/accounts/lookup", params={"acct": "ministry@gov.example"})
    assert r.status_code == 200


async def test_v2_search__resolve_handle_and_post_url(client, make_user, session, network):  # noqa: F811
    me = await make_user("me")
    actor = ministry(network)
    note = actor.note("1", "<p>Scheme launched <script>x()</script></p>")
    network.docs[note["id"]] = note

    r = await client.get("/api/v2/search", params={"q": "@ministry@gov.example", "resolve": "true"},
                         headers=me.headers)
    assert [a["acct"] for a in r.json()["accounts"]] == ["ministry@gov.example"]

    r = await client.get("/api/v2/search", params={"q": note["id"], "resolve": "true"},
                         headers=me.headers)
    body = r.json()
    assert [s["uri"] for s in body["statuses"]] == [note["id"]]
    assert body["statuses"][0]["account"]["acct"] == "ministry@gov.example"
    assert "<script" not in body["statuses"][0]["content"]
    assert await count(session, Status, Status.uri == note["id"]) == 1

    # An actor URL resolves to the account.
    r = await client.get("/api/v2/search", params={"q": actor.uri, "resolve": "true"}, headers=me.headers)
    assert [a["uri"] for a in r.json()["accounts"]] == [actor.uri]


async def test_v2_search__url_whose_document_is_on_another_origin__refused(client, make_user, network):  # noqa: F811
    me = await make_user("me")
    actor = ministry(network, "evil.example")
    note = actor.note("2")
    network.docs["https://gov.example/notes/2"] = note  # served at gov.example, id on evil.example
    r = await client.get("/api/v2/search", params={"q": "https://gov.example/notes/2", "resolve": "true"},
                         headers=me.headers)
    assert r.status_code == 200 and r.json()["statuses"] == []


async def test_resolve__refused_domains_are_never_fetched(client, make_user, session, settings, network):  # noqa: F811
    me = await make_user("me")
    ministry(network, "blocked.example")
    ministry(network, "stranger.example")
    ministry(network, "friend.example")
    session.add_all([DomainBlock(domain="blocked.example", severity="suspend"),
                     DomainAllow(domain="friend.example")])
    await session.commit()

    async def search(q: str) -> list[str]:
        r = await client.get("/api/v2/search", params={"q": q, "resolve": "true"}, headers=me.headers)
        assert r.status_code == 200, r.text
        return [a["acct"] for a in r.json()["accounts"]]

    assert await search("ministry@blocked.example") == []
    assert await search("ministry@stranger.example") == ["ministry@stranger.example"]
    settings.federation_mode = "allowlist"
    try:
        from chaupal.federation import policy

        policy.clear_cache()
        assert await search("ministry@friend.example") == ["ministry@friend.example"]
        fetched = len(network.fetched)
        assert await search("someone@other.example") == []
        assert len(network.fetched) == fetched
    finally:
        settings.federation_mode = "open"
    assert not [u for u in network.fetched if "blocked.example" in u]
