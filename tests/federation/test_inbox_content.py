"""Inbox: posts from other servers. Create(Note) with mentions, hashtags, content warning,
attachments, replies and visibility from addressing, reaching local followers' home feeds;
Update(Note) with history; Announce (of local, known and unknown posts) and its Undo; Like
and its Undo."""

from __future__ import annotations

from sqlalchemy import select

from chaupal.actions.statuses import check_create_status
from chaupal.models import (
    Account,
    Favourite,
    MediaAttachment,
    Mention,
    Notification,
    Status,
    StatusEdit,
    StatusTag,
    Tag,
)
from tests.federation.inbox_helpers import PUBLIC, deliver, network  # noqa: F401

FINMIN = "http://chaupal.test/users/finmin"


async def _status(session, uri):
    return await session.scalar(select(Status).where(Status.uri == uri))


async def _local_post(session, settings, account_id, text="Budget day", **kw):
    author = await session.get(Account, account_id)
    status = await check_create_status(session, settings, author, text=text, **kw)
    await session.commit()
    return status


async def test_create__full_note_stored(client, session, settings, network, make_user):  # noqa: F811
    user = await make_user("finmin")
    parent = await _local_post(session, settings, user.account_id)
    alice = network.actor("remote.example", "alice")
    note = alice.note(
        "1",
        content='<p><span class="h-card"><a href="http://chaupal.test/@finmin" class="u-url mention">@finmin</a></span> #Budget</p>',
        summary="tax talk",
        sensitive=False,
        inReplyTo=parent.uri,
        contentMap={"hi": "..."},
        tag=[
            {"type": "Mention", "href": FINMIN, "name": "@finmin@chaupal.test"},
            {"type": "Hashtag", "href": "https://remote.example/tags/budget", "name": "#Budget"},
        ],
        attachment=[{"type": "Document", "mediaType": "image/png", "url": "https://remote.example/m/1.png",
                     "name": "a chart", "blurhash": "UABC", "width": 640, "height": 480}],
        url="https://remote.example/@alice/1",
    )

    assert (await deliver(client, alice, alice.create(note))).status_code == 202

    status = await _status(session, note["id"])
    assert status.local is False and status.visibility == "public"
    assert status.spoiler_text == "tax talk" and status.sensitive is True
    assert status.in_reply_to_id == parent.id and status.in_reply_to_account_id == user.account_id
    assert status.language == "hi"
    assert status.url == "https://remote.example/@alice/1"
    assert "@finmin" in status.text
    assert await session.scalar(select(Mention.account_id).where(Mention.status_id == status.id)) == user.account_id
    notification = await session.scalar(select(Notification).where(Notification.account_id == user.account_id))
    assert notification.type == "mention" and notification.status_id == status.id
    tag_name = await session.scalar(
        select(Tag.name_lower).join(StatusTag, StatusTag.tag_id == Tag.id).where(StatusTag.status_id == status.id)
    )
    assert tag_name == "budget"
    media = await session.scalar(select(MediaAttachment).where(MediaAttachment.status_id == status.id))
    assert media.remote_url == "https://remote.example/m/1.png" and media.type == "image"
    assert media.description == "a chart" and media.blurhash == "UABC"
    await session.refresh(parent)
    assert parent.replies_count == 1


async def test_create__visibility_from_addressing(client, session, network, make_user):  # noqa: F811
    await make_user("finmin")
    alice = network.actor("remote.example", "alice")
    cases = {
        "pub": ([PUBLIC], [alice.followers], "public"),
        "unl": ([alice.followers], [PUBLIC], "unlisted"),
        "priv": ([alice.followers], [], "private"),
        "dm": ([FINMIN], [], "direct"),
    }
    for suffix, (to, cc, _) in cases.items():
        note = alice.note(suffix, to=to, cc=cc)
        assert (await deliver(client, alice, alice.create(note))).status_code == 202
    for suffix, (_, _, expected) in cases.items():
        assert (await _status(session, f"{alice.uri}/statuses/{suffix}")).visibility == expected
    dm = await _status(session, f"{alice.uri}/statuses/dm")
    assert await session.scalar(select(Mention.id).where(Mention.status_id == dm.id)) is not None


async def test_create__reaches_local_followers_home_timeline(client, session, network, make_user):  # noqa: F811
    user = await make_user("citizen")
    alice = network.actor("remote.example", "alice")
    # Alice follows nobody here; citizen follows Alice (an accepted follow).
    assert (await deliver(client, alice, alice.create(alice.note("0")))).status_code == 202
    from chaupal.actions.follows import do_create_follow

    remote = await session.scalar(select(Account).where(Account.uri == alice.uri))
    await do_create_follow(session, user.account_id, remote.id)
    await session.commit()

    note = alice.note("1", content="<p>for my followers</p>")
    assert (await deliver(client, alice, alice.create(note))).status_code == 202

    r = await client.get("/api/v1/timelines/home", headers=user.headers)
    assert r.status_code == 200
    contents = [s["content"] for s in r.json()]
    assert "<p>for my followers</p>" in contents
    first = next(s for s in r.json() if s["content"] == "<p>for my followers</p>")
    assert first["account"]["acct"] == "alice@remote.example"


async def test_update_note__edit_with_history(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    note = alice.note("1", content="<p>v1</p>")
    await deliver(client, alice, alice.create(note))

    edited = dict(note, content="<p>v2</p>", updated="2026-11-01T12:00:00Z")
    assert (await deliver(client, alice, alice.activity("Update", edited, "u1"))).status_code == 202

    status = await _status(session, note["id"])
    assert status.content == "<p>v2</p>" and status.edited_at is not None
    history = (await session.scalars(
        select(StatusEdit.content).where(StatusEdit.status_id == status.id).order_by(StatusEdit.id)
    )).all()
    assert history == ["<p>v1</p>", "<p>v2</p>"]


async def test_update_of_unknown_note__ignored(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    r = await deliver(client, alice, alice.activity("Update", alice.note("9"), "u9"))
    assert r.status_code == 202
    assert await _status(session, f"{alice.uri}/statuses/9") is None


async def test_announce_of_local_post__reblog_notification_and_undo(client, session, settings, network, make_user):  # noqa: F811
    user = await make_user("finmin")
    post = await _local_post(session, settings, user.account_id)
    post_id = post.id
    alice = network.actor("remote.example", "alice")
    announce = alice.activity("Announce", post.uri, "announce-1", to=[PUBLIC], cc=[alice.followers])

    assert (await deliver(client, alice, announce)).status_code == 202

    reblog = await session.scalar(select(Status).where(Status.reblog_of_id == post.id))
    assert reblog is not None and reblog.uri == announce["id"] and reblog.local is False
    assert reblog.visibility == "public"
    assert await session.scalar(
        select(Notification.type).where(Notification.account_id == user.account_id)
    ) == "reblog"
    await session.refresh(post)
    assert post.reblogs_count == 1
    await session.rollback()

    assert (await deliver(client, alice, alice.activity("Undo", announce, "undo-announce"))).status_code == 202
    assert await session.scalar(select(Status.id).where(Status.reblog_of_id == post_id)) is None


async def test_announce_of_unknown_remote_post__fetched_from_origin(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    bob = network.actor("other.example", "bob")
    note = bob.note("7", content="<p>from bob</p>")
    network.docs[note["id"]] = note

    r = await deliver(client, alice, alice.activity("Announce", note["id"], "announce-7", to=[PUBLIC]))

    assert r.status_code == 202, r.text
    original = await _status(session, note["id"])
    assert original is not None and original.content == "<p>from bob</p>"
    author = await session.get(Account, original.account_id)
    assert author.uri == bob.uri and author.domain == "other.example"
    assert await session.scalar(select(Status.id).where(Status.reblog_of_id == original.id)) is not None


async def test_announce_of_forged_object__not_stored(client, session, network):  # noqa: F811
    """The fetched Note claims an author on another origin: refused, the Announce ignored."""
    alice = network.actor("remote.example", "alice")
    forged = {"id": "https://evil.example/notes/1", "type": "Note", "content": "<p>x</p>",
              "attributedTo": "https://gov.example/users/ministry", "to": [PUBLIC]}
    network.docs[forged["id"]] = forged

    r = await deliver(client, alice, alice.activity("Announce", forged["id"], "announce-f", to=[PUBLIC]))

    assert r.status_code == 202
    assert await session.scalar(select(Status.id)) is None


async def test_like_and_undo_like(client, session, settings, network, make_user):  # noqa: F811
    user = await make_user("finmin")
    post = await _local_post(session, settings, user.account_id)
    alice = network.actor("remote.example", "alice")
    like = alice.activity("Like", post.uri, "like-1")

    assert (await deliver(client, alice, like)).status_code == 202
    assert await session.scalar(select(Favourite.id).where(Favourite.status_id == post.id)) is not None
    assert await session.scalar(
        select(Notification.type).where(Notification.account_id == user.account_id)
    ) == "favourite"
    await session.rollback()

    assert (await deliver(client, alice, alice.activity("Undo", like, "undo-like"))).status_code == 202
    assert await session.scalar(select(Favourite.id)) is None


async def test_like_of_private_post_by_non_follower__ignored(client, session, settings, network, make_user):  # noqa: F811
    user = await make_user("finmin")
    post = await _local_post(session, settings, user.account_id, visibility="private")
    alice = network.actor("remote.example", "alice")

    assert (await deliver(client, alice, alice.activity("Like", post.uri, "like-1"))).status_code == 202
    assert await session.scalar(select(Favourite.id)) is None


async def test_create__mention_by_profile_url_notifies(client, session, network, make_user):  # noqa: F811
    user = await make_user("finmin")
    alice = network.actor("remote.example", "alice")
    note = alice.note("1", tag=[{"type": "Mention", "href": "http://chaupal.test/@finmin"}])

    assert (await deliver(client, alice, alice.create(note))).status_code == 202

    assert await session.scalar(
        select(Notification.type).where(Notification.account_id == user.account_id)
    ) == "mention"
