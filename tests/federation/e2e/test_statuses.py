"""Acceptance (issue 7): a post, its reply, boost, like, edit and deletion propagate between two
real servers; the remote post shows in the follower's home timeline and in tag timelines."""

from __future__ import annotations

from mastodon.errors import MastodonNotFoundError

from tests.federation.e2e.flows import follow, home_copy, local_copy
from tests.federation.e2e.harness import Instance, unique, wait_for


def test_post__delivered_to_remote_follower__home_tag_and_federated_timelines(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    alice_name, bob_name = unique("alice"), unique("bob")
    alice, bob = a.register(alice_name), b.register(bob_name)
    follow(bob, a.handle(alice_name))

    tag = unique("fedtag")
    post = alice.status_post(f"Ministry notice #{tag}", visibility="public")
    copy = wait_for("the post in bob's home on B", lambda: home_copy(bob, post.uri))
    assert copy.account.acct == a.handle(alice_name)
    assert copy.url.startswith(a.url) and copy.id != post.id
    assert "Ministry notice" in copy.content
    assert [t.name for t in copy.tags] == [tag]

    assert [s.uri for s in bob.timeline_hashtag(tag)] == [post.uri]
    assert [s.uri for s in bob.timeline_hashtag(tag, remote=True)] == [post.uri]
    assert bob.timeline_hashtag(tag, local=True) == []
    assert post.uri in [s.uri for s in bob.timeline_public(remote=True, limit=40)]
    assert post.uri not in [s.uri for s in bob.timeline_public(local=True, limit=40)]


def test_reply_boost_like__reach_the_author_on_the_other_server(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    alice_name, bob_name = unique("alice"), unique("bob")
    alice, bob = a.register(alice_name), b.register(bob_name)
    follow(bob, a.handle(alice_name))
    post = alice.status_post("Consultation open until Friday", visibility="public")
    copy = wait_for("the post on B", lambda: home_copy(bob, post.uri))

    reply = bob.status_post(f"@{a.handle(alice_name)} where do I send comments?", in_reply_to_id=copy.id)
    context = wait_for("the reply in the thread on A", lambda: [
        s for s in alice.status_context(post.id).descendants if s.uri == reply.uri])
    assert context[0].account.acct == b.handle(bob_name)
    assert context[0].in_reply_to_id == post.id

    bob.status_reblog(copy.id)
    bob.status_favourite(copy.id)
    wait_for("the boost counted on A", lambda: alice.status(post.id).reblogs_count == 1)
    wait_for("the like counted on A", lambda: alice.status(post.id).favourites_count == 1)
    kinds = {n.type for n in alice.notifications() if n.account.acct == b.handle(bob_name)}
    # No "mention" here: these test domains carry a port (127.0.0.1:P), which the mention syntax
    # (like Mastodon's) cannot write, so the reply reaches alice as a reply, not a mention.
    assert {"reblog", "favourite"} <= kinds

    # Undo travels too.
    bob.status_unfavourite(copy.id)
    bob.status_unreblog(copy.id)
    wait_for("the unlike on A", lambda: alice.status(post.id).favourites_count == 0)
    wait_for("the unboost on A", lambda: alice.status(post.id).reblogs_count == 0)


def test_edit_then_delete__propagate(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    alice_name, bob_name = unique("alice"), unique("bob")
    alice, bob = a.register(alice_name), b.register(bob_name)
    follow(bob, a.handle(alice_name))
    post = alice.status_post("Office hours 10-12", visibility="public")
    copy = wait_for("the post on B", lambda: home_copy(bob, post.uri))

    alice.status_update(post.id, status="Office hours 10-13 (corrected)")
    wait_for("the edit on B", lambda: "10-13" in bob.status(copy.id).content)
    assert bob.status(copy.id).edited_at is not None

    alice.status_delete(post.id)

    def gone() -> bool:
        try:
            bob.status(copy.id)
        except MastodonNotFoundError:
            return True
        return False

    wait_for("the deletion on B", gone)
    assert home_copy(bob, post.uri) is None
    assert local_copy(bob, post.uri) is None
