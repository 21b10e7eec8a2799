"""What local writes send to remote servers: each action that can concern a remote audience
calls one function here inside its own transaction; it builds the activity (render.py) and
queues it (`outbox.publish`), or returns at once when nobody remote is concerned.

The actions pass `settings` only when the write is a local user's: handlers of incoming
activities call the same actions without it, so nothing is echoed back to the sender.

- status created / edited / deleted: Create / Update / Delete(Tombstone) of the Note, to the
  author's remote followers (not for direct posts) and the inboxes of remote accounts mentioned
  or replied to;
- reblog / unreblog: Announce / Undo(Announce), to followers and the original's remote author;
- favourite / unfavourite of a remote post: Like / Undo(Like) to its author's inbox;
- follow of a remote account: Follow (the local row stays a FollowRequest until Accept);
  unfollow: Undo(Follow); accepting / rejecting a remote follower's request: Accept / Reject;
- block / unblock of a remote account: Block / Undo(Block) to its inbox;
- profile update: Update(Person) to followers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.federation import render
from chaupal.federation.keys import actor_uri
from chaupal.federation.outbox import has_remote_followers, inbox_of, publish
from chaupal.models import Account, Mention, Status


def _on(settings: Settings | None, actor: Account | None) -> bool:
    return settings is not None and settings.federation_enabled and actor is not None and actor.local


async def _remote_recipients(session: AsyncSession, status: Status) -> list[Account]:
    """Remote accounts a status is addressed to: its mentions and the author it replies to."""
    accounts = list(
        (
            await session.scalars(
                select(Account)
                .join(Mention, Mention.account_id == Account.id)
                .where(Mention.status_id == status.id, Account.domain != "")
            )
        ).all()
    )
    if status.in_reply_to_id and status.visibility != "direct":
        parent_author = await session.scalar(
            select(Account).join(Status, Status.account_id == Account.id).where(Status.id == status.in_reply_to_id)
        )
        if parent_author is not None and not parent_author.local:
            accounts.append(parent_author)
    return accounts


async def _status_audience(
    session: AsyncSession, author: Account, status: Status
) -> tuple[bool, list[str]] | None:
    recipients = await _remote_recipients(session, status)
    inboxes = [i for i in (inbox_of(a) for a in recipients) if i]
    to_followers = status.visibility != "direct" and await has_remote_followers(session, author.id)
    if not to_followers and not inboxes:
        return None
    return to_followers, inboxes


async def status_created(session: AsyncSession, settings: Settings | None, status: Status) -> None:
    await _status_written(session, settings, status, edited=False)


async def status_edited(session: AsyncSession, settings: Settings | None, status: Status) -> None:
    await _status_written(session, settings, status, edited=True)


async def _status_written(session: AsyncSession, settings: Settings | None, status: Status, *, edited: bool) -> None:
    author = await session.get(Account, status.account_id)
    if not _on(settings, author) or status.reblog_of_id is not None:
        return
    assert settings is not None and author is not None
    audience = await _status_audience(session, author, status)
    if audience is None:
        return
    note = await render.load_note(session, settings, status)
    activity = render.update(note) if edited else render.create(note)
    await publish(session, settings, author, activity, to_followers=audience[0], inboxes=audience[1])


async def status_deleted(session: AsyncSession, settings: Settings | None, status: Status) -> None:
    """Before the rows go: Delete of a post, or Undo(Announce) of a reblog."""
    author = await session.get(Account, status.account_id)
    if not _on(settings, author):
        return
    assert settings is not None and author is not None
    if status.reblog_of_id is not None:
        await _announce(session, settings, author, status, undo=True)
        return
    audience = await _status_audience(session, author, status)
    if audience is None:
        return
    mention_uris = [actor_uri(settings, a) for a in await _remote_recipients(session, status)]
    to, cc = render.addressing(settings, author, status.visibility, mention_uris)
    uri = render.status_uri(settings, author, status)
    activity = render.delete(actor_uri(settings, author), uri, to=to, cc=cc)
    await publish(session, settings, author, activity, to_followers=audience[0], inboxes=audience[1])


async def reblogged(session: AsyncSession, settings: Settings | None, booster: Account, reblog: Status) -> None:
    if _on(settings, booster):
        assert settings is not None
        await _announce(session, settings, booster, reblog, undo=False)


async def _announce(session: AsyncSession, settings: Settings, booster: Account, reblog: Status, *, undo: bool) -> None:
    original = await session.get(Status, reblog.reblog_of_id)
    if original is None:
        return
    author = await session.get(Account, original.account_id)
    if author is None:
        return
    inboxes = [] if author.local else [i for i in [inbox_of(author)] if i]
    to_followers = await has_remote_followers(session, booster.id)
    if not to_followers and not inboxes:
        return
    activity = render.announce(
        settings,
        booster,
        reblog,
        render.status_uri(settings, author, original),
        actor_uri(settings, author),
        visibility=reblog.visibility,
    )
    if undo:
        activity = render.undo(activity)
    await publish(session, settings, booster, activity, to_followers=to_followers, inboxes=inboxes)


async def _to_one(session: AsyncSession, settings: Settings, actor: Account, target: Account, activity: dict[str, Any]) -> None:
    inbox = inbox_of(target)
    if inbox:
        await publish(session, settings, actor, activity, to_followers=False, inboxes=[inbox])


async def favourited(
    session: AsyncSession, settings: Settings | None, account: Account, original: Status, favourite_id: int, *, undo: bool = False
) -> None:
    """Like / Undo(Like) of a remote post, to its author only."""
    if not _on(settings, account) or original.local:
        return
    assert settings is not None
    author = await session.get(Account, original.account_id)
    if author is None or author.local or not original.uri:
        return
    activity = render.like(settings, account, favourite_id, original.uri)
    await _to_one(session, settings, account, author, render.undo(activity) if undo else activity)


def follow_uri(settings: Settings, row_id: int) -> str:
    return f"{settings.base_url}/follows/{row_id}"


async def follow_requested(
    session: AsyncSession, settings: Settings | None, follower: Account, target: Account, request: Any
) -> None:
    """A local account asked to follow a remote one: Follow, its id kept on the request."""
    if not _on(settings, follower) or target.local:
        return
    assert settings is not None
    request.uri = request.uri or follow_uri(settings, request.id)
    await session.flush()
    activity = render.follow(settings, follower, target.uri or "", request.id)
    activity["id"] = request.uri
    await _to_one(session, settings, follower, target, activity)


async def unfollowed(
    session: AsyncSession, settings: Settings | None, follower: Account, target: Account, row: Any
) -> None:
    """Undo(Follow) for the follow or pending request `row` (before it is deleted)."""
    if not _on(settings, follower) or target.local or row is None:
        return
    assert settings is not None
    original = render.follow(settings, follower, target.uri or "", row.id)
    original["id"] = row.uri or follow_uri(settings, row.id)
    await _to_one(session, settings, follower, target, render.undo(original))


async def follow_answered(
    session: AsyncSession, settings: Settings | None, local: Account, requester: Account, request: Any, *, accepted: bool
) -> None:
    """A local account accepted / rejected a remote account's follow request."""
    if not _on(settings, local) or requester.local or request is None:
        return
    assert settings is not None
    build = render.accept if accepted else render.reject
    follow_id = request.uri or f"{requester.uri}#follows/{request.id}"
    activity = build(settings, local, follow_id, requester.uri or "", request.id)
    await _to_one(session, settings, local, requester, activity)


async def blocked(
    session: AsyncSession, settings: Settings | None, account: Account, target: Account, block_id: int, *, undo: bool = False
) -> None:
    if not _on(settings, account) or target.local:
        return
    assert settings is not None
    activity = render.block(settings, account, target.uri or "", block_id)
    await _to_one(session, settings, account, target, render.undo(activity) if undo else activity)


async def profile_updated(session: AsyncSession, settings: Settings | None, account: Account) -> None:
    if not _on(settings, account):
        return
    assert settings is not None
    if not await has_remote_followers(session, account.id):
        return
    doc = await render.actor(session, settings, account)
    await publish(session, settings, account, render.update_person(doc), to_followers=True)
