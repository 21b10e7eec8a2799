"""Inbox handlers for relationships: Follow of a local account (a request when it is locked,
else a follow answered with Accept), Accept/Reject of our own Follow, Block, and Undo of a
Follow, Block, Like or Announce."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions.follows import (
    check_block,
    check_follow,
    do_authorize_follow_request,
    do_unblock,
    do_unfollow,
    is_blocked_either_way,
)
from chaupal.config import Settings
from chaupal.federation import outbox, render
from chaupal.federation.inbox import InboxContext, InboxError
from chaupal.federation.remote import find_account, id_of
from chaupal.lib.ids import new_id
from chaupal.models import Account, Follow, FollowRequest


async def _local_target(session: AsyncSession, settings: Settings, value: Any) -> Account | None:
    uri = id_of(value)
    account = await find_account(session, settings, uri) if uri else None
    if account is None or not account.local or account.suspended_at is not None:
        return None
    return account


async def _answer(
    session: AsyncSession, settings: Settings, kind: str, local: Account, remote: Account,
    follow_uri: str, row_id: int,
) -> None:
    build = render.accept if kind == "Accept" else render.reject
    activity = build(settings, local, follow_uri, remote.uri or "", row_id)
    inbox = outbox.inbox_of(remote)
    if inbox:
        await outbox.publish(session, settings, local, activity, to_followers=False, inboxes=[inbox])


async def follow(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    """A remote actor follows a local account: FollowRequest (locked) or Follow + Accept."""
    target = await _local_target(session, settings, ctx.object)
    if target is None:
        return
    actor, follow_uri = ctx.actor, ctx.activity["id"]
    if await is_blocked_either_way(session, actor.id, target.id):
        await _answer(session, settings, "Reject", target, actor, follow_uri, new_id())
        return
    await check_follow(session, settings, actor, target)
    row = await session.scalar(
        select(Follow).where(Follow.account_id == actor.id, Follow.target_account_id == target.id)
    )
    if row is None:
        request = await session.scalar(
            select(FollowRequest).where(
                FollowRequest.account_id == actor.id, FollowRequest.target_account_id == target.id
            )
        )
        if request is not None:
            request.uri = follow_uri[:1024]
            await session.flush()
        return
    row.uri = follow_uri[:1024]
    await session.flush()
    await _answer(session, settings, "Accept", target, actor, follow_uri, row.id)


async def _our_follow(
    session: AsyncSession, settings: Settings, ctx: InboxContext
) -> tuple[Account | None, FollowRequest | None, Follow | None]:
    """The local follower and its request/follow of the actor that an Accept/Reject answers."""
    obj = ctx.object
    follow_uri = id_of(obj)
    request = follow = None
    if follow_uri:
        request = await session.scalar(
            select(FollowRequest).where(
                FollowRequest.uri == follow_uri, FollowRequest.target_account_id == ctx.actor.id
            )
        )
        follow = await session.scalar(
            select(Follow).where(Follow.uri == follow_uri, Follow.target_account_id == ctx.actor.id)
        )
    follower_id = (request or follow).account_id if (request or follow) else None
    if follower_id is None and isinstance(obj, dict):  # no id match: the embedded Follow's actor
        local = await _local_target(session, settings, obj.get("actor"))
        if local is not None and id_of(obj.get("object")) in (None, ctx.actor.uri):
            follower_id = local.id
            request = await session.scalar(
                select(FollowRequest).where(
                    FollowRequest.account_id == local.id,
                    FollowRequest.target_account_id == ctx.actor.id,
                )
            )
            follow = await session.scalar(
                select(Follow).where(
                    Follow.account_id == local.id, Follow.target_account_id == ctx.actor.id
                )
            )
    follower = await session.get(Account, follower_id) if follower_id else None
    return (follower if follower is not None and follower.local else None), request, follow


async def accept(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    """The remote account accepted our Follow: the request becomes a follow."""
    follower, request, _ = await _our_follow(session, settings, ctx)
    if follower is None or request is None:
        return
    uri = request.uri
    await do_authorize_follow_request(session, ctx.actor, follower)
    row = await session.scalar(
        select(Follow).where(Follow.account_id == follower.id, Follow.target_account_id == ctx.actor.id)
    )
    if row is not None and uri:
        row.uri = uri
        await session.flush()


async def reject(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    """The remote account refused (or ended) our follow."""
    follower, request, follow = await _our_follow(session, settings, ctx)
    if follower is not None and (request is not None or follow is not None):
        await do_unfollow(session, follower, ctx.actor)


async def block(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    """A remote actor blocks a local account: follows both ways end."""
    target = await _local_target(session, settings, ctx.object)
    if target is not None:
        await check_block(session, ctx.actor, target)


async def undo(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    """Undo of the actor's own Follow, Block, Like or Announce."""
    from chaupal.federation import inbox_content

    obj = ctx.object
    kind = obj.get("type") if isinstance(obj, dict) else None
    if isinstance(obj, dict) and id_of(obj.get("actor")) not in (None, ctx.actor.uri):
        raise InboxError(403, "Cannot undo another actor's activity")
    if kind == "Follow" or kind is None:
        target = await _local_target(session, settings, obj.get("object") if kind else None)
        if target is None:  # by id only: find the follow or request it created
            uri = id_of(obj)
            for model in (Follow, FollowRequest):
                row = await session.scalar(
                    select(model).where(model.uri == uri, model.account_id == ctx.actor.id)
                ) if uri else None
                if row is not None:
                    target = await session.get(Account, row.target_account_id)
                    break
        if target is not None:
            await do_unfollow(session, ctx.actor, target)
            return
        if kind == "Follow":
            return
    if kind == "Block":
        target = await _local_target(session, settings, obj.get("object"))
        if target is not None:
            await do_unblock(session, ctx.actor, target)
        return
    if kind == "Like" or kind is None:
        await inbox_content.undo_like(session, settings, ctx)
    if kind == "Announce" or kind is None:
        await inbox_content.undo_announce(session, settings, ctx)


HANDLERS = {"Follow": follow, "Accept": accept, "Reject": reject, "Block": block, "Undo": undo}
