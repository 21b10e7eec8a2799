"""Acceptance (issue 7): an account on server A moves to an account on server B, across two real
servers. B's new account lists the old one as an alias; A sends Move; the old account's
follower on B and its local follower on A both end up following the new account."""

from __future__ import annotations

import httpx
from mastodon import Mastodon

from tests.federation.e2e.flows import follow, resolve
from tests.federation.e2e.harness import PASSWORD, Instance, unique, wait_for


def _post(api: Mastodon, instance: Instance, path: str, body: dict[str, str]) -> httpx.Response:
    return httpx.post(
        f"{instance.url}{path}", json=body, timeout=60,
        headers={"Authorization": f"Bearer {api.access_token}"},
    )


def test_move__account_on_a_to_account_on_b__followers_on_both_servers_follow(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    old_name, new_name = unique("oldme"), unique("newme")
    fan_name, neighbour_name = unique("fan"), unique("neighbour")
    old, new = a.register(old_name), b.register(new_name)
    fan, neighbour = b.register(fan_name), a.register(neighbour_name)

    follow(fan, a.handle(old_name))  # a follower on B
    neighbour.account_follow(neighbour.account_lookup(old_name).id)  # a follower on A

    r = _post(new, b, "/api/chaupal/v1/accounts/aliases", {"acct": a.handle(old_name)})
    assert r.status_code == 200, r.text
    assert r.json()[0]["uri"] == f"{a.url}/users/{old_name}"

    r = _post(old, a, "/api/chaupal/v1/accounts/migration",
              {"target_acct": b.handle(new_name), "current_password": PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["followers_switched"] == 1

    # On B: the Move arrived, was checked against newme's aliases, and fan follows newme.
    new_id = new.me().id
    wait_for("the follower on B moved to the new account", lambda: fan.account_relationships(new_id)[0].following)
    assert fan.account(resolve(fan, a.handle(old_name)).id).moved.acct == new_name
    # On A: the local follower's Follow went to B and was accepted.
    remote_new = resolve(neighbour, b.handle(new_name))
    wait_for("the follower on A following the new account",
             lambda: neighbour.account_relationships(remote_new.id)[0].following)
    assert not neighbour.account_relationships(neighbour.account_lookup(old_name).id)[0].following
