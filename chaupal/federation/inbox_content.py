"""Inbox handlers for posts: Create(Note), Update(Note), Delete (of a Note, or of the actor
itself), Announce and Like, and the undo of the last two. The actor must own what it creates
or changes: a Note's attributedTo is the actor, and an edit or delete only touches the actor's
own posts. Unknown objects of an Announce are fetched in `prepare_announce`, before the write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import access_status
from chaupal.actions.interactions import check_favourite, do_unfavourite
from chaupal.actions.remote_accounts import do_store_remote_account
from chaupal.actions.remote_statuses import (
    do_add_tombstone,
    do_create_remote_reblog,
    do_create_remote_status,
    do_delete_remote_status,
    do_edit_remote_status,
)
from chaupal.actions.statuses import do_delete_status
from chaupal.config import Settings
from chaupal.errors import ApiError
from chaupal.federation import policy
from chaupal.federation.hosts import same_origin
from chaupal.federation.inbox import InboxContext, InboxError, read_session
from chaupal.federation.notes import PUBLIC_IDS, parse_time
from chaupal.federation.remote import (
    ACTOR_TYPES,
    NOTE_TYPES,
    RemoteError,
    attributed_to,
    check_note,
    fetch_actor,
    fetch_note,
    find_account,
    id_of,
    is_stale,
    is_tombstoned,
)
from chaupal.models import Status


def _own_note(ctx: InboxContext, obj: Any) -> dict[str, Any]:
    """The embedded Note, checked, and attributed to the delivering actor (else 403)."""
    try:
        note = check_note(obj)
    except RemoteError as exc:
        raise InboxError(400, str(exc)) from None
    if attributed_to(note) != ctx.actor.uri:
        raise InboxError(403, "The Note is attributed to another actor")
    return note


async def prepare_create(state: Any, settings: Settings, ctx: InboxContext) -> None:
    """A Create naming its Note only by id: fetch it from its origin."""
    uri = id_of(ctx.object)
    if isinstance(ctx.object, str) and uri and same_origin(uri, ctx.actor.uri or ""):
        try:
            ctx.prepared["note"] = await fetch_note(settings, uri)
        except RemoteError:
            pass


async def create(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    obj = ctx.prepared.get("note", ctx.object)
    if not isinstance(obj, dict) or obj.get("type") not in NOTE_TYPES:
        return  # not a post (or unfetchable): nothing we show
    note = _own_note(ctx, obj)
    await do_create_remote_status(session, settings, ctx.actor, note)


async def update(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    from chaupal.federation import inbox_people

    obj = ctx.object
    kind = obj.get("type") if isinstance(obj, dict) else None
    if kind in ACTOR_TYPES:
        await inbox_people.update_person(session, settings, ctx)
        return
    if kind not in NOTE_TYPES:
        return
    note = _own_note(ctx, obj)
    status = await session.scalar(select(Status).where(Status.uri == note["id"]))
    if status is None:
        return  # never seen: nothing to edit (Mastodon does the same)
    if status.account_id != ctx.actor.id or status.local:
        raise InboxError(403, "Cannot update another actor's post")
    await do_edit_remote_status(session, settings, status, note)


async def delete(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    from chaupal.federation import inbox_people

    uri = id_of(ctx.object)
    if not uri:
        raise InboxError(400, "Delete names no object")
    if uri == ctx.actor.uri:
        await inbox_people.delete_actor(session, settings, ctx)
        return
    status = await session.scalar(select(Status).where(Status.uri == uri))
    if status is not None:
        if status.account_id != ctx.actor.id or status.local:
            raise InboxError(403, "Cannot delete another actor's post")
        await do_delete_remote_status(session, status)
        return
    if not same_origin(uri, ctx.actor.uri or ""):
        raise InboxError(403, "Cannot delete an object on another origin")
    # Not seen yet (the Delete overtook its Create): remember it, so the Create is ignored.
    await do_add_tombstone(session, uri, ctx.actor.id)


def _announce_visibility(activity: dict[str, Any]) -> str:
    to = activity.get("to") if isinstance(activity.get("to"), list) else [activity.get("to")]
    cc = activity.get("cc") if isinstance(activity.get("cc"), list) else [activity.get("cc")]
    if PUBLIC_IDS & {id_of(x) for x in to}:
        return "public"
    if PUBLIC_IDS & {id_of(x) for x in cc}:
        return "unlisted"
    return "private"


async def prepare_announce(state: Any, settings: Settings, ctx: InboxContext) -> None:
    """Fetch the announced post (and its author) when we do not have it."""
    uri = id_of(ctx.object)
    if not uri or same_origin(uri, settings.base_url):
        return
    async with read_session(state) as session:
        if await session.scalar(select(Status.id).where(Status.uri == uri)) is not None:
            return
        if await is_tombstoned(session, uri):
            return
    try:
        note = await fetch_note(settings, uri)
        author_uri = attributed_to(note) or ""
        async with read_session(state) as session:
            author = await find_account(session, settings, author_uri)
            allowed = await policy.is_allowed(session, settings, _domain(author_uri))
        if not allowed:
            return
        if author is None or (not author.local and is_stale(settings, author)):
            ctx.prepared["author"] = await fetch_actor(settings, author_uri)
        ctx.prepared["note"] = note
    except RemoteError:
        return  # an unfetchable post: the Announce is acknowledged and ignored


def _domain(uri: str) -> str:
    from chaupal.federation.hosts import InvalidHost, normalize_host

    try:
        return normalize_host(uri)
    except InvalidHost:
        return ""


async def announce(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    uri = id_of(ctx.object)
    if not uri:
        return
    original = await session.scalar(select(Status).where(Status.uri == uri))
    if original is None and "note" in ctx.prepared:
        note = ctx.prepared["note"]
        data = ctx.prepared.get("author")
        author = (
            await do_store_remote_account(session, settings, data)
            if data is not None
            else await find_account(session, settings, attributed_to(note) or "")
        )
        if author is None or author.suspended_at is not None:
            return
        original = await do_create_remote_status(session, settings, author, note)
    if original is None or original.reblog_of_id is not None:
        return
    await do_create_remote_reblog(
        session, settings, ctx.actor, original, uri=ctx.activity["id"],
        visibility=_announce_visibility(ctx.activity),
        created_at=parse_time(ctx.activity.get("published")),
    )


async def _visible_local_status(session: AsyncSession, ctx: InboxContext, uri: str | None) -> Status | None:
    if not uri:
        return None
    status = await session.scalar(select(Status).where(Status.uri == uri))
    if status is None:
        return None
    try:
        return await access_status(session, ctx.actor.id, status.id)
    except ApiError:
        return None


async def like(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    status = await _visible_local_status(session, ctx, id_of(ctx.object))
    if status is None or not status.local:
        return  # likes of other servers' posts are theirs to count
    try:
        await check_favourite(session, ctx.actor, status)
    except ApiError:
        return


async def undo_like(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    obj = ctx.object
    target = id_of(obj.get("object")) if isinstance(obj, dict) else None
    if not target:
        return
    status = await session.scalar(select(Status).where(Status.uri == target))
    if status is not None:
        await do_unfavourite(session, ctx.actor, status)


async def undo_announce(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    obj = ctx.object
    announce_uri = id_of(obj)
    reblog = None
    if announce_uri:
        reblog = await session.scalar(
            select(Status).where(
                Status.uri == announce_uri, Status.account_id == ctx.actor.id,
                Status.reblog_of_id.is_not(None),
            )
        )
    if reblog is None and isinstance(obj, dict):
        original = await session.scalar(
            select(Status).where(Status.uri == id_of(obj.get("object")))
        ) if id_of(obj.get("object")) else None
        if original is not None:
            reblog = await session.scalar(
                select(Status).where(
                    Status.account_id == ctx.actor.id, Status.reblog_of_id == original.id
                )
            )
    if reblog is not None:
        await do_delete_status(session, reblog)


HANDLERS = {"Create": create, "Update": update, "Delete": delete, "Announce": announce, "Like": like}
PREPARERS = {"Create": prepare_create, "Announce": prepare_announce}
