"""Acceptance: the real Mastodon.py client over real HTTP against `chaupal serve`.

Runs on SQLite and PostgreSQL. Every entity the client returns is also checked against
Mastodon.py's own typed entity declarations (tests/e2e/entities.py).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonIllegalArgumentError,
    MastodonNotFoundError,
    MastodonUnauthorizedError,
)

from tests.e2e.browser import authorize
from tests.e2e.conftest import Server
from tests.e2e.entities import RecordingSession, assert_entity

PASSWORD = "correct horse battery staple"
SCOPES = ["read", "write", "follow", "push"]


@dataclass
class World:
    server: Server
    client_id: str
    client_secret: str
    callback: str
    alice: Mastodon  # signed in with the code flow + PKCE (redirect URI)
    bob: Mastodon  # signed in with the code flow without PKCE (oob page)
    carol: Mastodon  # registration token; follows nobody
    alice_id: str
    bob_id: str
    carol_id: str

    def client(self, token: str | None = None) -> Mastodon:
        return client(self.server, self.client_id, self.client_secret, token)


def client(
    server: Server,
    client_id: str | None = None,
    client_secret: str | None = None,
    token: str | None = None,
) -> Mastodon:
    """Mastodon.py with its defaults, plus the version check the acceptance criteria ask for."""
    return Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        access_token=token,
        api_base_url=server.url,
        version_check_mode="created",
        session=RecordingSession(),
    )


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def register(server: Server, client_id: str, client_secret: str, username: str) -> Mastodon:
    api = client(server, client_id, client_secret)
    token = api.create_account(
        username, PASSWORD, f"{username}@example.org", agreement=True, locale="en", scopes=SCOPES
    )
    assert token and api.access_token == token
    return api


def code_flow_pkce(
    server: Server, client_id: str, client_secret: str, username: str, callback: str
) -> str:
    """Mastodon.py builds the authorize URL; PKCE parameters are added (Mastodon.py 2.3.3 has no
    PKCE support) and the code is exchanged with its verifier."""
    api = client(server, client_id, client_secret)
    state = secrets.token_urlsafe(12)
    url = api.auth_request_url(redirect_uris=callback, scopes=SCOPES, state=state, allow_http=True)
    verifier, challenge = pkce_pair()
    url += "&" + urlencode({"code_challenge": challenge, "code_challenge_method": "S256"})
    grant = authorize(url, username, PASSWORD, callback_prefix=callback)
    assert f"state={state}" in (grant.redirect_location or "")

    # Without the verifier the PKCE-bound code is refused (RFC 7636: the challenge is enforced) ...
    with pytest.raises(MastodonIllegalArgumentError):
        api.log_in(code=grant.code, redirect_uri=callback, scopes=SCOPES, allow_http=True)

    def exchange(code: str, code_verifier: str) -> httpx.Response:
        return httpx.post(
            f"{server.url}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": callback,
                "client_id": client_id,
                "client_secret": client_secret,
                "code_verifier": code_verifier,
                "scope": " ".join(SCOPES),
            },
        )

    # ... and so is a wrong verifier ...
    grant = authorize(url, username, PASSWORD, callback_prefix=callback)
    wrong = exchange(grant.code, pkce_pair()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant", wrong.text

    # ... while a fresh authorisation exchanged with the right verifier gives a token.
    grant = authorize(url, username, PASSWORD, callback_prefix=callback)
    r = exchange(grant.code, verifier)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"].lower() == "bearer" and set(body["scope"].split()) >= set(SCOPES)
    return str(body["access_token"])


def code_flow_plain(server: Server, client_id: str, client_secret: str, username: str) -> str:
    """The flow exactly as Mastodon.py does it: oob redirect URI, no PKCE, code from the page."""
    api = client(server, client_id, client_secret)
    url = api.auth_request_url(scopes=SCOPES, allow_http=True)
    grant = authorize(url, username, PASSWORD)
    token = api.log_in(code=grant.code, scopes=SCOPES, allow_http=True)
    assert api.account_verify_credentials().username == username

    # Codes are single-use; a replayed code also revokes what it issued (RFC 6749 4.1.2).
    replay = client(server, client_id, client_secret)
    with pytest.raises(MastodonIllegalArgumentError):
        replay.log_in(code=grant.code, scopes=SCOPES, allow_http=True)
    with pytest.raises(MastodonUnauthorizedError):
        client(server, token=token).account_verify_credentials()

    grant = authorize(url, username, PASSWORD)
    return api.log_in(code=grant.code, scopes=SCOPES, allow_http=True)


@pytest.fixture(scope="session")
def world(e2e_server: Server) -> Iterator[World]:
    callback = f"{e2e_server.url}/callback-test"
    client_id, client_secret = Mastodon.create_app(
        "Chaupal E2E",
        scopes=SCOPES,
        redirect_uris=[callback, "urn:ietf:wg:oauth:2.0:oob"],
        website="https://example.org/e2e",
        api_base_url=e2e_server.url,
        session=RecordingSession(),
    )
    alice_reg = register(e2e_server, client_id, client_secret, "alice")
    register(e2e_server, client_id, client_secret, "bob")
    carol = register(e2e_server, client_id, client_secret, "carol")

    alice = client(
        e2e_server,
        client_id,
        client_secret,
        code_flow_pkce(e2e_server, client_id, client_secret, "alice", callback),
    )
    bob = client(
        e2e_server,
        client_id,
        client_secret,
        code_flow_plain(e2e_server, client_id, client_secret, "bob"),
    )
    assert alice.access_token != alice_reg.access_token
    yield World(
        e2e_server,
        client_id,
        client_secret,
        callback,
        alice,
        bob,
        carol,
        str(alice.me().id),
        str(bob.me().id),
        str(carol.me().id),
    )


def unique(word: str) -> str:
    return f"{word}{uuid.uuid4().hex[:8]}"


# --- instance and app -------------------------------------------------------------------------


def test_instance__v1_and_v2_parse_as_mastodon_4_3(e2e_server: Server) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "version >= 4.3.0 but no API version found"
        api = client(e2e_server)
        version = api.retrieve_mastodon_version(fail_hard=True)
    assert version.startswith("4.")
    assert api.verify_minimum_version("4.3.0")
    assert api.mastodon_api_version >= 2

    v1 = assert_entity(api.instance_v1(), "Instance")
    assert v1.uri == f"127.0.0.1:{e2e_server.port}"
    v2 = assert_entity(api.instance_v2(), "InstanceV2")
    assert v2.domain == f"127.0.0.1:{e2e_server.port}"
    assert "Chaupal" in v2.version
    assert_entity(api.instance(), "InstanceV2")
    for path in ("/api/v1/instance/", "/api/v2/instance/"):
        assert httpx.get(e2e_server.url + path).status_code == 200, path


def test_app__verify_credentials_with_app_and_user_tokens(world: World) -> None:
    app = assert_entity(world.alice.app_verify_credentials(), "Application")
    assert app.name == "Chaupal E2E"


def test_oauth_metadata__advertises_code_flow_and_pkce(world: World) -> None:
    info = world.alice.oauth_authorization_server_info()
    assert "authorization_code" in info.grant_types_supported
    assert "password" not in info.grant_types_supported
    assert "S256" in info.code_challenge_methods_supported


# --- accounts ---------------------------------------------------------------------------------


def test_accounts__verify_credentials_lookup_and_get(world: World) -> None:
    me = assert_entity(world.alice.account_verify_credentials(), "CredentialAccount")
    assert me.username == "alice" and me.acct == "alice"
    found = assert_entity(world.bob.account_lookup("alice"), "Account")
    assert str(found.id) == world.alice_id
    got = assert_entity(world.bob.account(world.alice_id), "Account")
    assert got.username == "alice"
    with pytest.raises(MastodonNotFoundError):
        world.bob.account_lookup("nobody-here")


@pytest.fixture(scope="session")
def followed(world: World) -> World:
    """Bob follows Alice (public account: no request needed); Carol follows nobody."""
    rel = assert_entity(world.bob.account_follow(world.alice_id), "Relationship")
    assert rel.following is True and rel.requested is False
    return world


def test_follow__relationships_counts_and_lists(followed: World) -> None:
    w = followed
    [rel] = assert_entity(w.bob.account_relationships(w.alice_id), "list[Relationship]")
    assert rel.following and not rel.followed_by and not rel.blocking
    [back] = w.alice.account_relationships([w.bob_id])
    assert back.followed_by and not back.following
    [none] = w.carol.account_relationships(w.alice_id)
    assert not none.following
    followers = assert_entity(w.alice.account_followers(w.alice_id), "list[Account]")
    assert w.bob_id in {str(a.id) for a in followers}
    following = assert_entity(w.bob.account_following(w.bob_id), "list[Account]")
    assert w.alice_id in {str(a.id) for a in following}
    assert w.bob.account(w.alice_id).followers_count >= 1


# --- statuses ---------------------------------------------------------------------------------


def test_post__mention_hashtag_and_devanagari_hashtag(followed: World) -> None:
    w = followed
    tag = unique("chaupal")
    status = w.alice.status_post(f"Namaste @bob! #{tag} #भारत https://example.org/x", language="hi")
    assert_entity(status, "Status")
    assert status.visibility == "public" and status.language == "hi"
    assert {t.name.lower() for t in status.tags} == {tag, "भारत"}
    assert [str(m.id) for m in status.mentions] == [w.bob_id]
    assert (
        "@<span>bob</span>" in status.content
        or ">@bob<" in status.content
        or "bob</a>" in status.content
    )
    assert "#<span>भारत</span>" in status.content or "भारत</a>" in status.content
    assert 'href="https://example.org/x"' in status.content

    # The tag timeline finds it by both tags (Devanagari tag through Mastodon.py's URL quoting).
    for name in (tag, "भारत"):
        ids = [str(s.id) for s in assert_entity(w.carol.timeline_hashtag(name), "list[Status]")]
        assert str(status.id) in ids, name
    # Bob is mentioned: a mention notification.
    notes = assert_entity(w.bob.notifications(types=["mention"]), "list[Notification]")
    assert any(n.status and str(n.status.id) == str(status.id) for n in notes)


def test_reply__thread_context_both_ways(followed: World) -> None:
    w = followed
    root = w.alice.status_post(f"Root {unique('thread')}")
    reply = w.bob.status_reply(root, "A reply from bob")
    assert_entity(reply, "Status")
    assert str(reply.in_reply_to_id) == str(root.id)
    assert str(reply.in_reply_to_account_id) == w.alice_id
    assert "@alice" in reply.content  # status_reply mentions the author
    nested = w.alice.status_reply(reply, "and back to bob")

    ctx = assert_entity(w.carol.status_context(reply), "Context")
    assert [str(s.id) for s in ctx.ancestors] == [str(root.id)]
    assert [str(s.id) for s in ctx.descendants] == [str(nested.id)]
    ctx_root = w.carol.status_context(root)
    assert [str(s.id) for s in ctx_root.descendants] == [str(reply.id), str(nested.id)]
    assert w.carol.status(root).replies_count == 1


def test_reblog_and_favourite__counts_lists_and_notifications(followed: World) -> None:
    w = followed
    original = w.alice.status_post(f"Boost me {unique('rb')}")
    reblog = assert_entity(w.bob.status_reblog(original), "Status")
    assert reblog.reblog is not None and str(reblog.reblog.id) == str(original.id)
    assert reblog.reblog.reblogged is True
    fav = assert_entity(w.bob.status_favourite(original), "Status")
    assert fav.favourited is True and fav.favourites_count == 1

    seen = w.alice.status(original)
    assert seen.reblogs_count == 1 and seen.favourites_count == 1
    assert [str(a.id) for a in w.alice.status_reblogged_by(original)] == [w.bob_id]
    assert [str(a.id) for a in w.alice.status_favourited_by(original)] == [w.bob_id]
    favs = assert_entity(w.bob.favourites(), "list[Status]")
    assert str(original.id) in {str(s.id) for s in favs}

    notes = assert_entity(w.alice.notifications(), "list[Notification]")
    kinds = {(n.type, str(n.status.id) if n.status else None) for n in notes}
    assert ("reblog", str(original.id)) in kinds and ("favourite", str(original.id)) in kinds
    assert ("follow", None) in kinds

    # Undo both.
    assert w.bob.status_unfavourite(original).favourited is False
    assert w.bob.status_unreblog(original).reblogged is False
    assert w.alice.status(original).reblogs_count == 0


def test_timelines__home_public_and_local(followed: World) -> None:
    w = followed
    mine = w.alice.status_post(f"For followers and the public {unique('tl')}")
    unlisted = w.alice.status_post(f"Quiet {unique('tl')}", visibility="unlisted")
    home = assert_entity(w.bob.timeline_home(), "list[Status]")
    home_ids = [str(s.id) for s in home]
    assert str(mine.id) in home_ids and str(unlisted.id) in home_ids
    assert home_ids == sorted(home_ids, key=int, reverse=True)
    assert str(mine.id) not in [str(s.id) for s in w.carol.timeline_home()]

    public = [str(s.id) for s in assert_entity(w.carol.timeline_public(), "list[Status]")]
    assert str(mine.id) in public and str(unlisted.id) not in public
    local = [str(s.id) for s in w.carol.timeline_local()]
    assert str(mine.id) in local
    anonymous = w.client().timeline_public()
    assert str(mine.id) in [str(s.id) for s in anonymous]


def test_paging__link_headers_next_and_previous(world: World) -> None:
    w = world
    pager = register(w.server, w.client_id, w.client_secret, unique("pager"))
    pager_id = str(pager.me().id)
    posted = [str(pager.status_post(f"page item {i}").id) for i in range(12)]
    newest_first = list(reversed(posted))

    page1 = w.carol.account_statuses(pager_id, limit=5)
    assert [str(s.id) for s in page1] == newest_first[:5]
    page2 = w.carol.fetch_next(page1)
    assert [str(s.id) for s in page2] == newest_first[5:10]
    page3 = w.carol.fetch_next(page2)
    assert [str(s.id) for s in page3] == newest_first[10:]
    last = w.carol.fetch_next(page3)
    assert not last  # empty page (or None) after the end
    back = w.carol.fetch_previous(page3)
    assert [str(s.id) for s in back] == newest_first[5:10]

    everything = w.carol.fetch_remaining(w.carol.account_statuses(pager_id, limit=4))
    assert [str(s.id) for s in everything] == newest_first

    # Home timeline pages the same way.
    w.carol.account_follow(pager_id)
    home = w.carol.timeline_home(limit=5)
    assert [str(s.id) for s in home] == newest_first[:5]
    assert [str(s.id) for s in w.carol.fetch_next(home)] == newest_first[5:10]
    w.carol.account_unfollow(pager_id)


def test_search__accounts_hashtags_and_statuses(followed: World) -> None:
    w = followed
    word = unique("searchable")
    status = w.alice.status_post(f"Announcing {word} for everyone #{word} और भारत की बात")
    result = assert_entity(w.carol.search_v2("alice", result_type="accounts"), "SearchV2")
    assert w.alice_id in {str(a.id) for a in result.accounts}
    tags = w.carol.search_v2(word, result_type="hashtags").hashtags
    assert word in {t.name.lower() for t in tags}
    statuses = w.carol.search_v2(word, result_type="statuses").statuses
    assert str(status.id) in {str(s.id) for s in statuses}
    hindi = w.carol.search_v2("भारत", result_type="statuses").statuses
    assert str(status.id) in {str(s.id) for s in hindi}
    mixed = assert_entity(w.carol.search_v2(word), "SearchV2")
    assert str(status.id) in {str(s.id) for s in mixed.statuses}
    found = assert_entity(w.carol.account_search("bo"), "list[Account]")
    assert w.bob_id in {str(a.id) for a in found}


def test_notifications__types_filter_get_dismiss(followed: World) -> None:
    w = followed
    status = w.alice.status_post(f"hey @bob {unique('n')}")
    mentions = w.bob.notifications(types=["mention"])
    assert mentions and all(n.type == "mention" for n in mentions)
    note = next(n for n in mentions if str(n.status.id) == str(status.id))
    single = assert_entity(w.bob.notifications(id=note.id), "Notification")
    assert str(single.account.id) == w.alice_id
    no_mentions = w.bob.notifications(exclude_types=["mention"])
    assert all(n.type != "mention" for n in no_mentions)
    w.bob.notifications_dismiss(note.id)
    with pytest.raises(MastodonNotFoundError):
        w.bob.notifications(id=note.id)


def test_edit__update_history_and_source(followed: World) -> None:
    w = followed
    status = w.alice.status_post(f"Frist draft {unique('ed')}", spoiler_text="")
    edited = assert_entity(w.alice.status_update(status, "First draft, fixed #edited"), "Status")
    assert str(edited.id) == str(status.id) and edited.edited_at is not None
    assert "First draft" in edited.content and {t.name for t in edited.tags} == {"edited"}
    history = assert_entity(w.alice.status_history(status), "list[StatusEdit]")
    assert len(history) == 2
    assert "Frist" in history[0].content and "First" in history[-1].content
    source = assert_entity(w.alice.status_source(status), "StatusSource")
    assert source.text == "First draft, fixed #edited"
    with pytest.raises(MastodonAPIError):
        w.bob.status_update(status, "not yours")


def test_delete__status_and_its_reblogs_disappear(followed: World) -> None:
    w = followed
    status = w.alice.status_post(f"Soon gone {unique('del')}")
    reblog = w.bob.status_reblog(status)
    deleted = assert_entity(w.alice.status_delete(status), "Status")
    assert str(deleted.id) == str(status.id)
    for viewer in (w.alice, w.bob, w.carol):
        with pytest.raises(MastodonNotFoundError):
            viewer.status(status)
    with pytest.raises(MastodonNotFoundError):
        w.bob.status(reblog)
    home = [str(s.id) for s in w.bob.timeline_home()]
    assert str(status.id) not in home and str(reblog.id) not in home
    with pytest.raises(MastodonNotFoundError):
        w.bob.status_delete(status)


def test_bookmarks_and_pins(followed: World) -> None:
    w = followed
    status = w.alice.status_post(f"Keep this {unique('bm')}")
    assert w.bob.status_bookmark(status).bookmarked is True
    marks = assert_entity(w.bob.bookmarks(), "list[Status]")
    assert str(status.id) in {str(s.id) for s in marks}
    assert w.bob.status_unbookmark(status).bookmarked is False
    assert str(status.id) not in {str(s.id) for s in w.bob.bookmarks()}

    assert w.alice.status_pin(status).pinned is True
    pinned = assert_entity(w.carol.account_statuses(w.alice_id, pinned=True), "list[Status]")
    assert [str(s.id) for s in pinned] == [str(status.id)]
    with pytest.raises(MastodonAPIError):
        w.bob.status_pin(status)  # not bob's own post
    assert w.alice.status_unpin(status).pinned is False
    assert not w.carol.account_statuses(w.alice_id, pinned=True)


def test_private_post__non_follower_never_sees_it(followed: World) -> None:
    w = followed
    word = unique("secret")
    private = w.alice.status_post(f"Followers only {word} #{word}", visibility="private")
    assert private.visibility == "private"
    reply = w.bob.status_reply(private, f"reply to private {word}", visibility="private")

    # The follower sees it.
    assert str(w.bob.status(private).id) == str(private.id)
    assert str(private.id) in {str(s.id) for s in w.bob.timeline_home()}

    # The non-follower (and the anonymous client) does not, through any path.
    anonymous = w.client()
    for viewer in (w.carol, anonymous):
        with pytest.raises(MastodonNotFoundError):
            viewer.status(private)
        with pytest.raises(MastodonNotFoundError):
            viewer.status_context(private)
        for timeline in (
            viewer.timeline_public(),
            viewer.timeline_hashtag(word),
            viewer.account_statuses(w.alice_id),
        ):
            assert str(private.id) not in {str(s.id) for s in timeline}
    with pytest.raises(MastodonNotFoundError):
        w.carol.status_reblog(private)
    with pytest.raises(MastodonNotFoundError):
        w.carol.status_favourite(private)
    assert str(private.id) not in {str(s.id) for s in w.carol.timeline_home()}
    root = w.alice.status_post(f"public root {word}")
    w.alice.status_reply(root, f"private branch {word}", visibility="private")
    ctx = w.carol.status_context(root)
    assert all(s.visibility != "private" for s in ctx.descendants)
    assert str(reply.id) not in {str(s.id) for s in w.carol.status_context(root).descendants}


def test_private_post__search_never_finds_it_for_a_non_follower(followed: World) -> None:
    w = followed
    word = unique("hidden")
    private = w.alice.status_post(f"Followers only {word} #{word}", visibility="private")
    assert str(private.id) in {str(s.id) for s in w.bob.search_v2(word).statuses}
    for viewer in (w.carol, w.client()):
        found = assert_entity(viewer.search_v2(word, resolve=False), "SearchV2")
        assert str(private.id) not in {str(s.id) for s in found.statuses}


def test_locked_account__follow_request_authorize_and_private_posts(world: World) -> None:
    w = world
    name = unique("locked")
    owner = register(w.server, w.client_id, w.client_secret, name)
    me = assert_entity(
        owner.account_update_credentials(locked=True, display_name="Locked Ministry", note="Hi"),
        "Account",
    )
    assert me.locked is True and me.display_name == "Locked Ministry"
    secret = owner.status_post(f"only followers {unique('lk')}", visibility="private")

    rel = w.carol.account_follow(me.id)
    assert rel.requested is True and rel.following is False
    with pytest.raises(MastodonNotFoundError):
        w.carol.status(secret)
    requests = assert_entity(owner.follow_requests(), "list[Account]")
    assert [str(a.id) for a in requests] == [w.carol_id]
    notes = owner.notifications(types=["follow_request"])
    assert [str(n.account.id) for n in notes] == [w.carol_id]

    assert owner.follow_request_authorize(w.carol_id).followed_by is True
    assert str(w.carol.status(secret).id) == str(secret.id)
    assert w.carol.account_relationships(me.id)[0].following is True
    w.carol.account_unfollow(me.id)
    with pytest.raises(MastodonNotFoundError):
        w.carol.status(secret)


def test_idempotency_key__same_key_same_status(world: World) -> None:
    key = uuid.uuid4().hex
    first = world.carol.status_post(f"once {key}", idempotency_key=key)
    again = world.carol.status_post(f"once {key}", idempotency_key=key)
    assert str(first.id) == str(again.id)


def test_revoke_access_token__token_stops_working(world: World) -> None:
    w = world
    api = register(w.server, w.client_id, w.client_secret, unique("revoker"))
    token = api.access_token
    assert api.account_verify_credentials()
    api.revoke_access_token(allow_http=True)
    with pytest.raises(MastodonUnauthorizedError):
        w.client(token).account_verify_credentials()


def test_bad_input__clean_mastodon_errors(followed: World) -> None:
    w = followed
    with pytest.raises(MastodonAPIError) as too_long:
        w.alice.status_post("x" * 501)
    assert too_long.value.args[1] == 422
    with pytest.raises(MastodonNotFoundError):
        w.alice.status("999999999999999999")
    with pytest.raises(MastodonNotFoundError):
        w.alice.account("not-a-number")
    with pytest.raises(MastodonUnauthorizedError):
        w.client().timeline_home()


def test_block_and_mute__hide_posts_and_notifications(world: World) -> None:
    w = world
    name = unique("noisy")
    noisy = register(w.server, w.client_id, w.client_secret, name)
    noisy_id = str(noisy.me().id)
    w.carol.account_follow(noisy_id)
    before = noisy.status_post(f"hello {unique('m')}")
    assert str(before.id) in {str(s.id) for s in w.carol.timeline_home()}

    muted = assert_entity(w.carol.account_mute(noisy_id), "Relationship")
    assert muted.muting is True
    assert str(before.id) not in {str(s.id) for s in w.carol.timeline_home()}
    assert noisy_id in {str(a.id) for a in assert_entity(w.carol.mutes(), "list[Account]")}
    w.carol.account_unmute(noisy_id)

    blocked = assert_entity(w.carol.account_block(noisy_id), "Relationship")
    assert blocked.blocking is True and blocked.following is False
    assert noisy_id in {str(a.id) for a in w.carol.blocks()}
    carol_post = w.carol.status_post(f"can you see me {unique('b')}")
    with pytest.raises(MastodonNotFoundError):
        noisy.status(carol_post)
    noisy.status_post(f"@carol hello {unique('b')}")
    assert all(str(n.account.id) != noisy_id for n in w.carol.notifications())
    w.carol.account_unblock(noisy_id)


def test_preferences__mastodon_entity(world: World) -> None:
    prefs = assert_entity(world.bob.preferences(), "Preferences")
    assert prefs.posting_default_visibility == "public"


def test_markers_and_unread_count(followed: World) -> None:
    w = followed
    w.alice.status_post(f"@bob ping {unique('mk')}")
    latest = w.bob.notifications(limit=1)[0]
    assert w.bob.notifications_unread_count().count >= 1
    markers = w.bob.markers_set(["notifications"], [latest.id])
    assert str(markers["notifications"].last_read_id) == str(latest.id)
    assert w.bob.notifications_unread_count().count == 0
    assert str(w.bob.markers_get(["notifications"])["notifications"].last_read_id) == str(latest.id)
    assert w.bob.custom_emojis() == []


def _png(width: int = 64, height: int = 48) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 20)).save(out, format="PNG")
    return out.getvalue()


def test_media__upload_describe_and_fetch(world: World) -> None:
    w = world
    media = w.alice.media_post(
        _png(), mime_type="image/png", description="An orange square", synchronous=True
    )
    assert_entity(media, "MediaAttachment")
    assert media.type == "image" and media.description == "An orange square"
    updated = assert_entity(w.alice.media_update(media, description="Orange"), "MediaAttachment")
    assert updated.description == "Orange"
    assert assert_entity(w.alice.media(media), "MediaAttachment").description == "Orange"
    image = httpx.get(media.url)
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/")
    with pytest.raises(MastodonNotFoundError):
        w.bob.media(media)  # someone else's upload


def test_media__attached_to_a_status(followed: World) -> None:
    w = followed
    media = w.alice.media_post(_png(), mime_type="image/png", description="Orange")
    status = assert_entity(w.alice.status_post("With a picture", media_ids=[media]), "Status")
    assert [str(m.id) for m in status.media_attachments] == [str(media.id)]
    seen = w.bob.status(status)
    assert seen.media_attachments[0].description == "Orange"
    image = httpx.get(seen.media_attachments[0].url)
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/")


# --- streaming ----------------------------------------------------------------------------------


def test_stream_user__follower_receives_update_and_notification_after_commit(followed: World) -> None:
    """Mastodon.py's `stream_user` (SSE at /api/v1/streaming/user, found through the instance's
    `urls.streaming_api`) delivers the followed account's new post, and a mention notification."""
    import threading

    from mastodon import StreamListener

    got: dict[str, list[Any]] = {"update": [], "notification": []}
    arrived = threading.Event()
    word = unique("streamed")

    class Listener(StreamListener):
        def on_update(self, status: Any) -> None:
            got["update"].append(status)
            if got["notification"]:
                arrived.set()

        def on_notification(self, notification: Any) -> None:
            got["notification"].append(notification)
            if got["update"]:
                arrived.set()

    handle = followed.bob.stream_user(Listener(), run_async=True, reconnect_async=False)
    try:
        deadline = time.monotonic() + 10
        while not handle.is_receiving() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert handle.is_receiving()
        followed.alice.status_post(f"{word} for @bob")
        assert arrived.wait(20), got
    finally:
        handle.close()
    assert any(word in s.content for s in got["update"])
    assert any(n.type == "mention" and word in n.status.content for n in got["notification"])
