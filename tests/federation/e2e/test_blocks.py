"""Acceptance (issue 7): a block across servers stops delivery. Another follower on the same
server gets the post through the same shared inbox, so the blocked one's empty timeline is a
real absence, not a slow delivery."""

from __future__ import annotations

from tests.federation.e2e.flows import follow, home_copy, resolve
from tests.federation.e2e.harness import Instance, settle, unique, wait_for


def test_block__author_blocks_remote_follower__followers_only_post_not_delivered_to_them(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    alice_name, bob_name, carol_name = unique("alice"), unique("bob"), unique("carol")
    alice = a.register(alice_name)
    bob, carol = b.register(bob_name), b.register(carol_name)
    follow(bob, a.handle(alice_name))
    remote_alice = follow(carol, a.handle(alice_name))

    remote_bob = resolve(alice, b.handle(bob_name))
    alice.account_block(remote_bob.id)
    # The Block reaches B: bob no longer follows alice there either.
    wait_for("the Block on B", lambda: not bob.account_relationships(remote_alice.id)[0].following)
    assert not [x for x in alice.account_followers(alice.me().id) if x.acct == b.handle(bob_name)]

    post = alice.status_post("For my followers only", visibility="private")
    wait_for("the post in carol's home on B", lambda: home_copy(carol, post.uri))
    settle(a, b)
    assert home_copy(bob, post.uri) is None


def test_block__remote_user_blocked_by_reader__posts_kept_out_of_their_home(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    alice_name, bob_name, carol_name = unique("alice"), unique("bob"), unique("carol")
    alice = a.register(alice_name)
    bob, carol = b.register(bob_name), b.register(carol_name)
    remote_alice = follow(bob, a.handle(alice_name))
    follow(carol, a.handle(alice_name))

    bob.account_block(remote_alice.id)
    # Blocking removes the follow; A hears of it (Block) and stops counting bob.
    wait_for("bob gone from alice's followers on A", lambda: not [
        x for x in alice.account_followers(alice.me().id) if x.acct == b.handle(bob_name)])

    post = alice.status_post("Public notice after the block", visibility="public")
    wait_for("the post in carol's home on B", lambda: home_copy(carol, post.uri))
    settle(a, b)
    assert home_copy(bob, post.uri) is None
