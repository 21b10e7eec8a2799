"""Status actions called directly, as the CLI and demo loader call them: posting (with
backdating and idempotency), mentions and tags, edits, deletion, and the interactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from chaupal.actions import interactions
from chaupal.actions.statuses import (
    check_create_status,
    check_edit_status,
    clean_language,
    do_delete_status,
    get_or_create_tags,
)
from chaupal.errors import ApiError
from chaupal.lib.ids import id_time
from chaupal.models import (
    Account,
    Block,
    IdempotencyKey,
    Mention,
    Notification,
    Status,
    StatusEdit,
    StatusTag,
    Tag,
)


async def accounts(session: Any, make_user: Any, *names: str) -> list[Account]:
    """Make the users first: the test session holds SQLite's write lock once it writes."""
    users = [await make_user(n) for n in names]
    return [await session.get(Account, u.account_id) for u in users]


async def count(session: Any, model: Any, *where: Any) -> int:
    return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def test_create__backdated__id_and_created_at_from_the_past(session, settings, make_user):
    (alice,) = await accounts(session, make_user, "alice")
    when = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)
    status = await check_create_status(session, settings, alice, text="old news", created_at=when)
    assert status.created_at == when
    assert abs(id_time(status.id) - when) < timedelta(seconds=1)
    assert alice.last_status_at == when and alice.statuses_count == 1


async def test_create__conversation_is_thread_root(session, settings, make_user):
    (alice,) = await accounts(session, make_user, "alice")
    root = await check_create_status(session, settings, alice, text="root")
    reply = await check_create_status(session, settings, alice, text="r1", in_reply_to_id=root.id)
    deeper = await check_create_status(session, settings, alice, text="r2", in_reply_to_id=reply.id)
    assert root.conversation_id == root.id
    assert reply.conversation_id == deeper.conversation_id == root.id
    assert root.replies_count == 1 and reply.replies_count == 1


async def test_create__private_reply_not_counted_on_parent(session, settings, make_user):
    (alice,) = await accounts(session, make_user, "alice")
    root = await check_create_status(session, settings, alice, text="root")
    await check_create_status(
        session, settings, alice, text="psst", in_reply_to_id=root.id, visibility="private"
    )
    assert root.replies_count == 0


async def test_create__mentions_resolved_case_insensitively_blockers_skipped(
    session, settings, make_user
):
    alice, bob, carol = await accounts(session, make_user, "alice", "bob", "carol")
    session.add(Block(account_id=carol.id, target_account_id=alice.id))
    await session.flush()
    status = await check_create_status(
        session, settings, alice, text="@BOB @carol @bob@chaupal.test @ghost"
    )
    mentioned = set(
        (
            await session.scalars(select(Mention.account_id).where(Mention.status_id == status.id))
        ).all()
    )
    assert mentioned == {bob.id}
    assert (
        await count(
            session, Notification, Notification.account_id == bob.id, Notification.type == "mention"
        )
        == 1
    )
    assert await count(session, Notification, Notification.account_id == carol.id) == 0
    assert 'href="http://chaupal.test/@bob"' in status.content and "@carol" in status.content


async def test_create__tags_shared_across_spellings(session, settings, make_user):
    (alice,) = await accounts(session, make_user, "alice")
    await check_create_status(session, settings, alice, text="#Bharat #भारत")
    await check_create_status(session, settings, alice, text="#BHARAT")
    names = sorted((await session.scalars(select(Tag.name))).all())
    assert names == ["Bharat", "भारत"]
    assert await count(session, StatusTag) == 3


async def test_get_or_create_tags__existing_reused(session, make_user):
    first = await get_or_create_tags(session, ["Chai"])
    again = await get_or_create_tags(session, ["chai", "CHAI"])
    assert [t.id for t in again] == [first[0].id]


async def test_create__idempotency_key_expires_after_ttl(session, settings, make_user):
    (alice,) = await accounts(session, make_user, "alice")
    first = await check_create_status(session, settings, alice, text="x", idempotency_key="k")
    same = await check_create_status(
        session, settings, alice, text="different", idempotency_key="k"
    )
    assert same.id == first.id
    key = await session.scalar(select(IdempotencyKey))
    key.created_at = key.created_at - timedelta(seconds=settings.idempotency_ttl_seconds + 1)
    await session.flush()
    later = await check_create_status(session, settings, alice, text="x", idempotency_key="k")
    assert later.id != first.id


async def test_create__sensitive_none_uses_user_default(session, settings, make_user):
    from chaupal.models import User

    user = await make_user("alice")
    alice = await session.get(Account, user.account_id)
    (await session.get(User, user.user_id)).default_sensitive = True
    assert (
        await check_create_status(session, settings, alice, text="x", sensitive=None)
    ).sensitive is True
    assert (
        await check_create_status(session, settings, alice, text="y", sensitive=False)
    ).sensitive is False


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("hi", "hi"), ("EN", "en"), ("en-GB", "en-GB"), ("pt_BR", "pt-BR"), ("<x>", None), ("", None)],
)
def test_clean_language(raw, clean):
    assert clean_language(raw) == clean


async def test_edit__first_edit_stores_original_then_new(session, settings, make_user):
    (alice,) = await accounts(session, make_user, "alice")
    status = await check_create_status(session, settings, alice, text="v1 #old")
    await check_edit_status(session, settings, alice, status, text="v2 #new")
    await check_edit_status(session, settings, alice, status, text="v3 #new")
    edits = (await session.scalars(select(StatusEdit).order_by(StatusEdit.created_at))).all()
    assert [e.text for e in edits] == ["v1 #old", "v2 #new", "v3 #new"]
    assert edits[0].created_at == status.created_at
    tags = (
        await session.scalars(
            select(Tag.name).join(StatusTag).where(StatusTag.status_id == status.id)
        )
    ).all()
    assert tags == ["new"]


async def test_edit__someone_elses__404(session, settings, make_user):
    alice, bob = await accounts(session, make_user, "alice", "bob")
    status = await check_create_status(session, settings, alice, text="mine")
    with pytest.raises(ApiError) as err:
        await check_edit_status(session, settings, bob, status, text="yours")
    assert err.value.status == 404


async def test_delete__removes_reblogs_notifications_and_fixes_counters(
    session, settings, make_user
):
    alice, bob = await accounts(session, make_user, "alice", "bob")
    root = await check_create_status(session, settings, alice, text="root")
    status = await check_create_status(
        session, settings, alice, text="@bob hi #t", in_reply_to_id=root.id
    )
    await interactions.check_reblog(session, settings, bob, status)
    await interactions.check_favourite(session, bob, status)
    assert bob.statuses_count == 1 and status.reblogs_count == 1 and root.replies_count == 1
    await do_delete_status(session, status)
    assert await count(session, Status) == 1
    assert await count(session, Notification) == 0
    assert await count(session, Mention) == 0
    assert bob.statuses_count == 0 and alice.statuses_count == 1 and root.replies_count == 0


async def test_reblog__of_a_reblog_reblogs_the_original(session, settings, make_user):
    alice, bob, carol = await accounts(session, make_user, "alice", "bob", "carol")
    status = await check_create_status(session, settings, alice, text="x")
    rb = await interactions.check_reblog(session, settings, bob, status)
    rb2 = await interactions.check_reblog(session, settings, carol, rb)
    assert rb2.reblog_of_id == status.id and status.reblogs_count == 2


async def test_reblog__notifies_author_and_unreblog_removes_it(session, settings, make_user):
    alice, bob = await accounts(session, make_user, "alice", "bob")
    status = await check_create_status(session, settings, alice, text="x")
    await interactions.check_reblog(session, settings, bob, status, visibility="unlisted")
    assert await count(session, Notification, Notification.type == "reblog") == 1
    await interactions.do_unreblog(session, bob, status)
    assert await count(session, Notification, Notification.type == "reblog") == 0
    assert status.reblogs_count == 0 and bob.statuses_count == 0


async def test_favourite__blocked_author__403(session, settings, make_user):
    alice, bob = await accounts(session, make_user, "alice", "bob")
    status = await check_create_status(session, settings, alice, text="x")
    session.add(Block(account_id=bob.id, target_account_id=alice.id))
    await session.flush()
    with pytest.raises(ApiError) as err:
        await interactions.check_favourite(session, bob, status)
    assert err.value.status == 403


async def test_pin__own_private_allowed(session, settings, make_user):
    (alice,) = await accounts(session, make_user, "alice")
    status = await check_create_status(session, settings, alice, text="x", visibility="private")
    await interactions.check_pin(session, settings, alice, status)
    await interactions.check_pin(session, settings, alice, status)  # again: no-op, not a second row
    from chaupal.models import StatusPin

    assert await count(session, StatusPin) == 1
