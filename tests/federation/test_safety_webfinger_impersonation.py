"""Safety 7: a WebFinger answer cannot make a handle name someone else's actor. The actor
`acct:user@domain` points to must live on `domain`, or its own host must confirm, by its own
WebFinger, both the actor and the handle. `@ministry@gov.example` pointing at an actor on
evil.example is refused and nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from chaupal.federation.remote import RemoteError, resolve_handle
from chaupal.models import Account
from tests.federation.inbox_helpers import network  # noqa: F401


async def _accounts(session):
    return await session.scalar(select(func.count()).select_from(Account))


async def test_handle_pointing_at_actor_on_other_host__refused(session, settings, network):  # noqa: F811
    evil = network.actor("evil.example", "ministry")
    network.add_webfinger("gov.example", "acct:ministry@gov.example", evil.uri)
    # evil.example happily confirms its own actor, but not the gov.example handle.
    network.add_webfinger("evil.example", "acct:ministry@evil.example", evil.uri)

    with pytest.raises(RemoteError):
        await resolve_handle(session, settings, "@ministry@gov.example")
    assert await _accounts(session) == 0


async def test_other_host_claiming_the_handle_without_pointing_back__refused(session, settings, network):  # noqa: F811
    evil = network.actor("evil.example", "ministry")
    other = network.actor("evil.example", "someone")
    network.add_webfinger("gov.example", "acct:ministry@gov.example", evil.uri)
    network.add_webfinger(
        "evil.example", "acct:ministry@evil.example", other.uri, subject="acct:ministry@gov.example"
    )

    with pytest.raises(RemoteError):
        await resolve_handle(session, settings, "ministry@gov.example")
    assert await _accounts(session) == 0


async def test_other_host_without_webfinger__refused(session, settings, network):  # noqa: F811
    evil = network.actor("evil.example", "ministry")
    network.add_webfinger("gov.example", "acct:ministry@gov.example", evil.uri)

    with pytest.raises(RemoteError):
        await resolve_handle(session, settings, "ministry@gov.example")


async def test_lookalike_host_spelling_is_not_the_same_host(session, settings, network):  # noqa: F811
    evil = network.actor("gov.example.evil.example", "ministry")
    network.add_webfinger("gov.example", "acct:ministry@gov.example", evil.uri)
    network.add_webfinger("gov.example.evil.example", "acct:ministry@gov.example.evil.example", evil.uri)

    with pytest.raises(RemoteError):
        await resolve_handle(session, settings, "ministry@gov.example")


async def test_actor_on_handle_domain__resolved(session, settings, network):  # noqa: F811
    ministry = network.actor("gov.example", "ministry")
    network.add_webfinger("gov.example", "acct:ministry@gov.example", ministry.uri)

    account = await resolve_handle(session, settings, "ministry@GOV.example")

    assert (account.username, account.domain, account.uri) == ("ministry", "gov.example", ministry.uri)
    assert account.public_key == ministry.public_pem.strip()


async def test_delegated_host_confirming_handle__resolved(session, settings, network):  # noqa: F811
    """gov.example's handles served by social.gov.example (Mastodon's WEB_DOMAIN split)."""
    ministry = network.actor("social.gov.example", "ministry")
    network.add_webfinger("gov.example", "acct:ministry@gov.example", ministry.uri)
    network.add_webfinger(
        "social.gov.example", "acct:ministry@social.gov.example", ministry.uri,
        subject="acct:ministry@gov.example",
    )

    account = await resolve_handle(session, settings, "ministry@gov.example")

    assert account.uri == ministry.uri


async def test_own_domain__local_account_without_network(session, settings, network, make_user):  # noqa: F811
    await make_user("finmin")

    account = await resolve_handle(session, settings, f"finmin@{settings.domain}")

    assert account.local and account.username == "finmin"
    assert network.fetched == []
