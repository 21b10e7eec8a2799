"""Steps the federation acceptance tests share: find a remote account the way Mastodon's web
app does (search with `resolve=true`), follow it and wait for the Accept, find a post's copy
on another server by its URI."""

from __future__ import annotations

from typing import Any

from mastodon import Mastodon

from tests.federation.e2e.harness import Instance, wait_for


def resolve(api: Mastodon, handle: str) -> Any:
    """The local copy of a remote account, fetched through WebFinger if it is not known yet."""
    found = api.search_v2(handle, resolve=True, result_type="accounts").accounts
    matches = [a for a in found if a.acct == handle]
    assert matches, f"{handle} not resolved: {[a.acct for a in found]}"
    return matches[0]


def follow(api: Mastodon, handle: str) -> Any:
    """Follow a remote account and wait until its server has accepted."""
    account = resolve(api, handle)
    api.account_follow(account.id)
    wait_for(f"{handle} to accept the follow",
             lambda: api.account_relationships(account.id)[0].following)
    return account


def home_copy(api: Mastodon, uri: str) -> Any:
    """The status with this ActivityPub URI in the user's home timeline, if it is there."""
    return next((s for s in api.timeline_home(limit=40) if s.uri == uri), None)


def local_copy(api: Mastodon, uri: str) -> Any:
    """The status with this URI as the user's server knows it (search by URL, resolve=false)."""
    found = api.search_v2(uri, resolve=False, result_type="statuses").statuses
    return next((s for s in found if s.uri == uri), None)


def account_id_on(api: Mastodon, instance: Instance, username: str) -> str:
    return str(resolve(api, instance.handle(username)).id)
