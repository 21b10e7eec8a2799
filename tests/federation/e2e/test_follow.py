"""Acceptance (issue 7): following across two real servers, including a locked account that
approves or rejects the request, and unfollowing."""

from __future__ import annotations

from tests.federation.e2e.flows import follow, resolve
from tests.federation.e2e.harness import Instance, unique, wait_for


def test_follow__remote_open_account__accepted_and_listed_on_both_sides(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    alice_name, bob_name = unique("alice"), unique("bob")
    alice, bob = a.register(alice_name), b.register(bob_name)

    remote_bob = resolve(alice, b.handle(bob_name))
    assert remote_bob.username == bob_name and remote_bob.url.startswith(b.url)
    follow(alice, b.handle(bob_name))

    # B lists alice, with her full handle, among bob's followers; counts agree on both sides.
    me = bob.me()
    followers = wait_for("alice among bob's followers on B",
                         lambda: [x for x in bob.account_followers(me.id) if x.acct == a.handle(alice_name)])
    assert followers[0].url.startswith(a.url)
    assert alice.account(remote_bob.id).followers_count >= 0
    wait_for("alice's following count on A", lambda: alice.me().following_count == 1)

    # Unfollow travels as Undo(Follow): bob loses the follower.
    alice.account_unfollow(remote_bob.id)
    wait_for("Undo(Follow) on B", lambda: not [
        x for x in bob.account_followers(me.id) if x.acct == a.handle(alice_name)])


def test_follow__locked_remote_account__request_then_approval(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    carol_name, dan_name = unique("carol"), unique("dan")
    carol = b.register(carol_name, locked=True)
    dan = a.register(dan_name)

    remote_carol = resolve(dan, b.handle(carol_name))
    assert remote_carol.locked
    rel = dan.account_follow(remote_carol.id)
    assert rel.requested and not rel.following

    requests = wait_for("the follow request on B", lambda: [
        r for r in carol.follow_requests() if r.acct == a.handle(dan_name)])
    carol.follow_request_authorize(requests[0].id)
    wait_for("the Accept on A", lambda: dan.account_relationships(remote_carol.id)[0].following)
    assert not dan.account_relationships(remote_carol.id)[0].requested


def test_follow__locked_remote_account__rejected_request_is_withdrawn(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    erin_name, fay_name = unique("erin"), unique("fay")
    erin = b.register(erin_name, locked=True)
    fay = a.register(fay_name)

    remote_erin = resolve(fay, b.handle(erin_name))
    assert fay.account_follow(remote_erin.id).requested
    requests = wait_for("the follow request on B", lambda: [
        r for r in erin.follow_requests() if r.acct == a.handle(fay_name)])
    erin.follow_request_reject(requests[0].id)

    def rejected() -> bool:
        rel = fay.account_relationships(remote_erin.id)[0]
        return not rel.requested and not rel.following

    wait_for("the Reject on A", rejected)
