"""Acceptance (issue 7): one server finds another's accounts and posts over real HTTP —
WebFinger with the round trip, the actor document, a Note by its URL — through the search and
lookup endpoints Mastodon clients use."""

from __future__ import annotations

import httpx

from tests.federation.e2e.flows import resolve
from tests.federation.e2e.harness import Instance, unique


def test_remote_account_and_post__found_by_handle_and_url(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    alice_name = unique("alice")
    alice, bob = a.register(alice_name), b.register(unique("bob"))
    alice.account_update_credentials(display_name="Alice of A", note="Works at the ministry")
    post = alice.status_post("Findable by its address", visibility="public")

    found = bob.search_v2(post.uri, resolve=True, result_type="statuses").statuses
    assert [s.uri for s in found] == [post.uri]
    assert found[0].account.acct == a.handle(alice_name)
    assert found[0].url.startswith(a.url)

    remote_alice = resolve(bob, a.handle(alice_name))
    assert remote_alice.display_name == "Alice of A"
    assert "ministry" in remote_alice.note
    assert remote_alice.url == f"{a.url}/@{alice_name}"
    assert bob.account_lookup(a.handle(alice_name)).id == remote_alice.id
    assert a.domain in httpx.get(f"{b.url}/api/v1/instance/peers", timeout=30).json()
