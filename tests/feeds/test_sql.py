"""The SQL home timeline: composition rules (Mastodon's home-feed filter) and the staged
window query, checked against a naive reference query with tiny windows."""

from __future__ import annotations

import pytest
from sqlalchemy import literal, select, union_all

import chaupal.feeds.sql as feed
from chaupal.access import not_filtered_clause, visible_clause
from chaupal.lib.paging import Page
from chaupal.models import Account, Follow, Status
from tests.feeds import factories as f


async def _home(session, account_id, page=None):
    viewer = await session.get(Account, account_id)
    return [s.id for s in await feed.home_timeline(session, viewer, page or Page(limit=40))]


async def test_home__own_and_followed_statuses_newest_first(make_user, session):
    me, bob, carol = await make_user("me"), await make_user("bob"), await make_user("carol")
    await f.follow(session, me.account_id, bob.account_id)
    mine = await f.status(session, me.account_id, "mine")
    bobs = await f.status(session, bob.account_id, "bob's")
    await f.status(session, carol.account_id, "carol, not followed")
    assert await _home(session, me.account_id) == [bobs.id, mine.id]


async def test_home__private_of_followed_shown_direct_only_when_mentioned(make_user, session):
    me, bob = await make_user("me"), await make_user("bob")
    await f.follow(session, me.account_id, bob.account_id)
    private = await f.status(session, bob.account_id, visibility="private")
    await f.status(session, bob.account_id, visibility="direct")
    dm = await f.status(session, bob.account_id, visibility="direct", mentions=[me.account_id])
    assert await _home(session, me.account_id) == [dm.id, private.id]


async def test_home__reblogs_shown_unless_show_reblogs_false(make_user, session):
    me, bob, carol, dave = [await make_user(n) for n in ("me", "bob", "carol", "dave")]
    await f.follow(session, me.account_id, bob.account_id)
    await f.follow(session, me.account_id, dave.account_id, show_reblogs=False)
    original = await f.status(session, carol.account_id)
    boost = await f.status(session, bob.account_id, reblog_of=original)
    await f.status(session, dave.account_id, reblog_of=original)
    assert await _home(session, me.account_id) == [boost.id]


async def test_home__reblog_of_own_post_hidden(make_user, session):
    me, bob = await make_user("me"), await make_user("bob")
    await f.follow(session, me.account_id, bob.account_id)
    mine = await f.status(session, me.account_id)
    await f.status(session, bob.account_id, reblog_of=mine)
    assert await _home(session, me.account_id) == [mine.id]


async def test_home__reblog_of_blocked_or_muted_author_hidden(make_user, session):
    me, bob, troll, bore = [await make_user(n) for n in ("me", "bob", "troll", "bore")]
    await f.follow(session, me.account_id, bob.account_id)
    await f.block(session, me.account_id, troll.account_id)
    await f.mute(session, me.account_id, bore.account_id)
    await f.status(session, bob.account_id, reblog_of=await f.status(session, troll.account_id))
    await f.status(session, bob.account_id, reblog_of=await f.status(session, bore.account_id))
    assert await _home(session, me.account_id) == []


async def test_home__muted_or_blocked_followed_account_hidden(make_user, session):
    me, bob, carol = [await make_user(n) for n in ("me", "bob", "carol")]
    await f.follow(session, me.account_id, bob.account_id)
    await f.follow(session, me.account_id, carol.account_id)
    await f.mute(session, me.account_id, bob.account_id)
    await f.block(session, carol.account_id, me.account_id)
    await f.status(session, bob.account_id)
    await f.status(session, carol.account_id)
    assert await _home(session, me.account_id) == []


async def test_home__reply_rule(make_user, session):
    me, bob, carol, stranger = [await make_user(n) for n in ("me", "bob", "carol", "stranger")]
    await f.follow(session, me.account_id, bob.account_id)
    await f.follow(session, me.account_id, carol.account_id)
    mine = await f.status(session, me.account_id)
    carols = await f.status(session, carol.account_id)
    bobs = await f.status(session, bob.account_id)
    strangers = await f.status(session, stranger.account_id)
    to_me = await f.status(session, bob.account_id, reply_to=mine)
    to_followed = await f.status(session, bob.account_id, reply_to=carols)
    self_reply = await f.status(session, bob.account_id, reply_to=bobs)
    await f.status(session, bob.account_id, reply_to=strangers)  # hidden
    my_reply = await f.status(session, me.account_id, reply_to=strangers)
    assert await _home(session, me.account_id) == [
        my_reply.id,
        self_reply.id,
        to_followed.id,
        to_me.id,
        bobs.id,
        carols.id,
        mine.id,
    ]


def _reference(viewer_id, page):
    authors = union_all(
        select(Follow.target_account_id).where(Follow.account_id == viewer_id),
        select(literal(viewer_id)),
    )
    stmt = select(Status.id).where(
        Status.account_id.in_(authors),
        visible_clause(viewer_id),
        not_filtered_clause(viewer_id),
        feed.home_filter(viewer_id),
    )
    if page.max_id is not None:
        stmt = stmt.where(Status.id < page.max_id)
    for floor in (page.since_id, page.min_id):
        if floor is not None:
            stmt = stmt.where(Status.id > floor)
    if page.ascending:
        return stmt.order_by(Status.id.asc()).limit(page.limit)
    return stmt.order_by(Status.id.desc()).limit(page.limit)


@pytest.mark.parametrize("windows", [(2, 5), (1,), (3, 7, 50)])
async def test_home__staged_windows_match_the_naive_query(make_user, session, monkeypatch, windows):
    monkeypatch.setattr(feed, "WINDOWS", windows)
    me, bob, quiet, other = [await make_user(n) for n in ("me", "bob", "quiet", "other")]
    await f.follow(session, me.account_id, bob.account_id)
    await f.follow(session, me.account_id, quiet.account_id)
    ids = []
    for i in range(40):
        author = (other, bob, other, other, quiet if i % 9 == 0 else other)[i % 5]
        ids.append((await f.status(session, author.account_id, f"post {i}")).id)
    await session.commit()
    pages = [
        Page(limit=3),
        Page(limit=50),
        Page(limit=4, max_id=ids[30]),
        Page(limit=4, since_id=ids[5]),
        Page(limit=4, min_id=ids[5]),
        Page(limit=4, min_id=ids[3], max_id=ids[35]),
        Page(limit=2, max_id=ids[1]),
    ]
    for page in pages:
        expected = list((await session.scalars(_reference(me.account_id, page))).all())
        if page.ascending:
            expected.reverse()
        assert await _home(session, me.account_id, page) == expected, page
