"""Acceptance (issue 7): operators' federation policy across three real servers.

A (SQLite, 127.0.0.1) runs in allow-list mode and allows only B; B (PostgreSQL, 127.0.0.2) is
open; C (SQLite, 127.0.0.3) is a peer nobody listed. A refuses C both ways while it federates
with B. B's domain block of C holds: C's posts stop reaching B, while A's still do."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.federation.e2e.flows import follow, home_copy, resolve
from tests.federation.e2e.harness import Instance, instances, settle, unique, wait_for

Trio = tuple[Instance, Instance, Instance]


@pytest.fixture(scope="module")
def trio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trio]:
    with instances(
        tmp_path_factory,
        ("a", "127.0.0.1", "sqlite", {"CHAUPAL_FEDERATION_MODE": "allowlist"}),
        ("b", "127.0.0.2", "postgres", {}),
        ("c", "127.0.0.3", "sqlite", {}),
    ) as (a, b, c):
        token = a.admin_token(unique("admin"))
        r = httpx.post(f"{a.url}/api/v1/admin/domain_allows", data={"domain": b.domain},
                       headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["domain"] == b.domain
        yield a, b, c


def test_allowlist__listed_peer_federates__unlisted_peer_refused_both_ways(trio: Trio) -> None:
    a, b, c = trio
    minister_name = unique("minister")
    minister = a.register(minister_name)
    citizen_b, citizen_c = b.register(unique("citizen")), c.register(unique("citizen"))
    citizen_c_name = citizen_c.me().username

    # The listed peer follows and receives posts.
    follow(citizen_b, a.handle(minister_name))
    post = minister.status_post("Allow-listed notice", visibility="public")
    wait_for("the post on B", lambda: home_copy(citizen_b, post.uri))

    # The unlisted peer cannot follow: either it cannot even resolve the account, or its
    # Follow is refused and never accepted.
    found = citizen_c.search_v2(a.handle(minister_name), resolve=True, result_type="accounts").accounts
    if found:
        citizen_c.account_follow(found[0].id)
    # A does not fetch from C either.
    assert minister.search_v2(c.handle(citizen_c_name), resolve=True, result_type="accounts").accounts == []
    settle(a, b, c)
    followers = [x.acct for x in minister.account_followers(minister.me().id)]
    assert followers == [citizen_b.me().acct + "@" + b.domain]
    assert not any(x.endswith("@" + c.domain) for x in followers)
    if found:
        assert not citizen_c.account_relationships(found[0].id)[0].following
    assert c.domain not in httpx.get(f"{a.url}/api/v1/instance/peers", timeout=10).json()


def test_domain_block__suspended_domain_posts_stop_arriving(trio: Trio) -> None:
    a, b, c = trio
    reader = b.register(unique("reader"))
    writer_c_name, writer_a_name = unique("writer"), unique("writer")
    writer_c, writer_a = c.register(writer_c_name), a.register(writer_a_name)
    follow(reader, c.handle(writer_c_name))
    follow(reader, a.handle(writer_a_name))
    before = writer_c.status_post("Before the block", visibility="public")
    wait_for("C's post on B before the block", lambda: home_copy(reader, before.uri))

    admin = b.client(b.admin_token(unique("admin")))
    block = admin.admin_create_domain_block(c.domain, severity="suspend")
    assert block.domain == c.domain

    blocked = writer_c.status_post("After the block", visibility="public")
    sentinel = writer_a.status_post("From the allowed server", visibility="public")
    wait_for("A's post on B", lambda: home_copy(reader, sentinel.uri))
    settle(a, b, c)
    assert home_copy(reader, blocked.uri) is None
    assert reader.search_v2(blocked.uri, resolve=True, result_type="statuses").statuses == []
    assert resolve(reader, a.handle(writer_a_name)).acct == a.handle(writer_a_name)
