"""Remote accounts and posts we already hold (issue 7), without any network: account search,
lookup and v2 search by handle or URL, instance peers, and the public and tag timelines'
`local` / `remote` filters. Rows are inserted directly, as delivery would have stored them."""

from __future__ import annotations

from chaupal.models import Account, AccountDomainBlock
from chaupal.models.federation import DomainAllow, DomainBlock
from tests.feeds import factories as f


async def remote(session, username: str, domain: str, **fields) -> Account:
    uri = f"https://{domain}/users/{username}"
    account = Account(
        username=username, username_lower=username.lower(), domain=domain, uri=uri,
        url=f"https://{domain}/@{username}", inbox_url=f"{uri}/inbox", **fields,
    )
    session.add(account)
    await session.flush()
    return account


async def remote_post(session, author: Account, text: str, **kw):
    row = await f.status(session, author.id, text, local=False, **kw)
    row.uri = f"{author.uri}/statuses/{row.id}"
    row.url = f"https://{author.domain}/@{author.username}/{row.id}"
    await session.flush()
    return row


async def test_account_search__remote_by_handle_and_by_prefix(client, make_user, session):
    me = await make_user("me")
    await make_user("rajesh")
    far = await remote(session, "rajesh", "social.example", display_name="Rajesh Kumar")
    await remote(session, "rajesh", "other.example")
    await session.commit()

    r = await client.get("/api/v1/accounts/search", params={"q": "rajesh@social.example"},
                         headers=me.headers)
    assert r.status_code == 200, r.text
    assert [(a["id"], a["acct"]) for a in r.json()] == [(str(far.id), "rajesh@social.example")]
    assert r.json()[0]["url"] == "https://social.example/@rajesh"
    assert r.json()[0]["uri"] == "https://social.example/users/rajesh"

    # Host case and a leading @ do not matter; our own domain means local accounts only.
    r = await client.get("/api/v1/accounts/search", params={"q": "@RAJESH@Social.Example"},
                         headers=me.headers)
    assert [a["acct"] for a in r.json()] == ["rajesh@social.example"]
    r = await client.get("/api/v1/accounts/search", params={"q": "rajesh@chaupal.test"},
                         headers=me.headers)
    assert [a["acct"] for a in r.json()] == ["rajesh"]

    # Without a domain every known account matches.
    r = await client.get("/api/v1/accounts/search", params={"q": "raj"}, headers=me.headers)
    assert sorted(a["acct"] for a in r.json()) == ["rajesh", "rajesh@other.example", "rajesh@social.example"]
    r = await client.get("/api/v1/accounts/search", params={"q": "nobody@nowhere.example"},
                         headers=me.headers)
    assert r.status_code == 200 and r.json() == []


async def test_account_search__viewers_domain_block_hides_that_domain(client, make_user, session):
    me = await make_user("me")
    await remote(session, "asha", "blocked.example")
    await remote(session, "asha", "fine.example")
    session.add(AccountDomainBlock(account_id=me.account_id, domain="blocked.example"))
    await session.commit()
    r = await client.get("/api/v1/accounts/search", params={"q": "asha"}, headers=me.headers)
    assert [a["acct"] for a in r.json()] == ["asha@fine.example"]


async def test_lookup__known_remote_account__found_without_fetching(client, make_user, session):
    far = await remote(session, "pib", "gov.example", locked=True)
    await session.commit()
    for acct in ("pib@gov.example", "@pib@GOV.example"):
        r = await client.get("/api/v1/accounts/lookup", params={"acct": acct})
        assert r.status_code == 200, r.text
        assert r.json()["id"] == str(far.id) and r.json()["acct"] == "pib@gov.example"
        assert r.json()["locked"] is True
    # Anonymous callers never make this server fetch: an unknown handle is simply not found.
    r = await client.get("/api/v1/accounts/lookup", params={"acct": "nobody@gov.example"})
    assert r.status_code == 404 and r.json() == {"error": "Record not found"}
    for bad in ("@", "a@b@c", "user@", "user@bad host"):
        r = await client.get("/api/v1/accounts/lookup", params={"acct": bad})
        assert r.status_code == 404, (bad, r.text)


async def test_v2_search__handle_and_urls_of_known_remote_objects(client, make_user, session):
    me = await make_user("me")
    far = await remote(session, "pib", "gov.example")
    note = await remote_post(session, far, "Budget session begins")
    secret = await remote_post(session, far, "followers only", visibility="private")
    await session.commit()

    body = (await client.get("/api/v2/search", params={"q": "@pib@gov.example"},
                             headers=me.headers)).json()
    assert [a["acct"] for a in body["accounts"]] == ["pib@gov.example"]

    for q in (note.uri, note.url):
        body = (await client.get("/api/v2/search", params={"q": q}, headers=me.headers)).json()
        assert [s["id"] for s in body["statuses"]] == [str(note.id)], q
        assert body["accounts"] == [] and body["hashtags"] == []
        assert body["statuses"][0]["account"]["acct"] == "pib@gov.example"
        assert body["statuses"][0]["url"] == note.url and body["statuses"][0]["uri"] == note.uri
    for q in (far.uri, far.url):
        body = (await client.get("/api/v2/search", params={"q": q}, headers=me.headers)).json()
        assert [a["id"] for a in body["accounts"]] == [str(far.id)], q
        assert body["statuses"] == []
    # A post the viewer may not see stays hidden even when its exact URL is asked for.
    body = (await client.get("/api/v2/search", params={"q": secret.uri}, headers=me.headers)).json()
    assert body["statuses"] == []


async def test_v2_search__our_own_post_url(client, make_user):
    me = await make_user("me")
    mine = await f.post(client, me, "apna sandesh")
    for q in (mine["url"], mine["uri"]):
        body = (await client.get("/api/v2/search", params={"q": q}, headers=me.headers)).json()
        assert [s["id"] for s in body["statuses"]] == [mine["id"]], q


async def test_peers__domains_of_known_remote_accounts_without_suspended(client, session):
    await remote(session, "a", "b.example")
    await remote(session, "b", "b.example")
    await remote(session, "c", "a.example")
    await remote(session, "d", "bad.example")
    await remote(session, "e", "sub.worse.example")
    session.add_all([
        DomainBlock(domain="bad.example", severity="suspend"),
        DomainBlock(domain="worse.example", severity="suspend"),  # covers its subdomains
    ])
    await session.commit()
    r = await client.get("/api/v1/instance/peers")
    assert r.status_code == 200 and r.json() == ["a.example", "b.example"]


async def test_peers__allowlist_mode_lists_allowed_domains_only(client, session, settings):
    await remote(session, "a", "allowed.example")
    await remote(session, "b", "stranger.example")
    session.add(DomainAllow(domain="allowed.example"))
    await session.commit()
    settings.federation_mode = "allowlist"
    try:
        assert (await client.get("/api/v1/instance/peers")).json() == ["allowed.example"]
    finally:
        settings.federation_mode = "open"


async def test_timelines__remote_posts_in_public_and_tag_with_local_remote_filters(
    client, make_user, session
):
    me = await make_user("me")
    far = await remote(session, "pib", "gov.example")
    theirs = await remote_post(session, far, "remote #kisan", tags=["kisan"])
    await session.commit()
    ours = await f.post(client, me, "local #kisan")

    async def ids(path: str, **params) -> list[str]:
        r = await client.get(path, params=params)
        assert r.status_code == 200, r.text
        return [s["id"] for s in r.json()]

    public = "/api/v1/timelines/public"
    assert await ids(public) == [ours["id"], str(theirs.id)]
    assert await ids(public, local="true") == [ours["id"]]
    assert await ids(public, remote="true") == [str(theirs.id)]
    tag = "/api/v1/timelines/tag/kisan"
    assert await ids(tag) == [ours["id"], str(theirs.id)]
    assert await ids(tag, local="true") == [ours["id"]]
    assert await ids(tag, remote="true") == [str(theirs.id)]
    body = (await client.get(tag, params={"remote": "true"})).json()[0]
    assert body["account"]["acct"] == "pib@gov.example"
    assert body["url"] == theirs.url


async def test_home__followed_remote_accounts_posts(client, make_user, session):
    me = await make_user("me")
    far = await remote(session, "pib", "gov.example")
    await f.follow(session, me.account_id, far.id)
    theirs = await remote_post(session, far, "for followers", visibility="private")
    await session.commit()
    r = await client.get("/api/v1/timelines/home", headers=me.headers)
    assert [s["id"] for s in r.json()] == [str(theirs.id)]
