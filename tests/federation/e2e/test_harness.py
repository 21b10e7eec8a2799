"""The harness itself: two real servers on distinct loopback addresses, each with its own
domain and database, reachable from each other over plain HTTP."""

from __future__ import annotations

import httpx

from tests.federation.e2e.harness import Instance


def test_pair__two_servers__own_domains_and_databases(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    assert a.domain.startswith("127.0.0.1:") and b.domain.startswith("127.0.0.2:")
    assert a.sync_database_url.startswith("sqlite") and b.sync_database_url.startswith("postgresql")
    for inst in pair:
        info = httpx.get(f"{inst.url}/api/v2/instance", timeout=10).json()
        assert info["domain"] == inst.domain
        assert inst.server.env["CHAUPAL_FEDERATION_ALLOW_HTTP_LOOPBACK"] == "true"
        assert isinstance(inst.busy_jobs(), list)  # the test process can read its jobs table


def test_pair__registered_users_are_separate(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    alice = a.register("alice")
    assert alice.me().acct == "alice"
    # The same username on the other server is another person, not a clash.
    assert b.register("alice").me().acct == "alice"
    assert b.client(alice.access_token).session is not None
    r = httpx.get(f"{b.url}/api/v1/accounts/verify_credentials",
                  headers={"Authorization": f"Bearer {alice.access_token}"}, timeout=10)
    assert r.status_code == 401  # a token is only good on the server that issued it
