"""Inbox handlers about actors: Update(Person) (profile from the signed activity, but a new
public key only from a refetch at the actor's own origin), Delete of the actor itself, Move
(checked against the target's alsoKnownAs) and Flag (a report for local moderators)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions.remote_accounts import (
    do_remove_remote_account,
    do_set_moved,
    do_store_remote_account,
    do_update_remote_profile,
)
from chaupal.config import Settings
from chaupal.federation import policy
from chaupal.federation.inbox import InboxContext, InboxError, read_session
from chaupal.federation.remote import (
    RemoteError,
    fetch_actor,
    find_account,
    id_of,
    parse_actor,
)
from chaupal.federation.sanitize import plain_text
from chaupal.models import Account, ModerationFlag, Status


async def prepare_update(state: Any, settings: Settings, ctx: InboxContext) -> None:
    """Update(Person) whose key differs from the stored one: refetch the actor from its
    origin; only that document may change the key (an attacker holding the old key cannot
    install a new one by announcing it)."""
    obj = ctx.object
    if not isinstance(obj, dict) or id_of(obj) != ctx.actor.uri:
        return
    try:
        embedded = parse_actor(settings, obj)
    except RemoteError:
        return
    if embedded.public_key and embedded.public_key.strip() != (ctx.actor.public_key or "").strip():
        try:
            ctx.prepared["refetched"] = await fetch_actor(settings, ctx.actor.uri or "")
        except RemoteError:
            pass
    ctx.prepared["embedded"] = embedded


async def update_person(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    obj = ctx.object
    if id_of(obj) != ctx.actor.uri:
        raise InboxError(403, "Cannot update another actor")
    refetched = ctx.prepared.get("refetched")
    if refetched is not None and refetched.uri == ctx.actor.uri:
        await do_store_remote_account(session, settings, refetched)  # from the origin: key too
        return
    embedded = ctx.prepared.get("embedded")
    if embedded is None:
        try:
            embedded = parse_actor(settings, obj)
        except RemoteError as exc:
            raise InboxError(400, str(exc)) from None
    await do_update_remote_profile(session, ctx.actor, embedded)


async def delete_actor(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    await do_remove_remote_account(session, ctx.actor)


async def prepare_move(state: Any, settings: Settings, ctx: InboxContext) -> None:
    """Fetch the Move's target (fresh: its alsoKnownAs is what we check)."""
    target_uri = id_of(ctx.activity.get("target"))
    if not target_uri or id_of(ctx.object) != ctx.actor.uri:
        return
    async with read_session(state) as session:
        existing = await find_account(session, settings, target_uri)
    if existing is not None and existing.local:
        return
    try:
        ctx.prepared["target"] = await fetch_actor(settings, target_uri)
    except RemoteError:
        return


async def move(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    if id_of(ctx.object) != ctx.actor.uri:
        raise InboxError(403, "Cannot move another actor")
    data = ctx.prepared.get("target")
    if data is None:  # unreachable, or one of our accounts: its aliases are in our database
        local = await find_account(session, settings, id_of(ctx.activity.get("target")) or "")
        if local is None or not local.local:
            return
        if ctx.actor.uri not in (local.also_known_as or []):
            raise InboxError(403, "The Move target does not list the actor in alsoKnownAs")
        await do_set_moved(session, ctx.actor, local)
        return
    if ctx.actor.uri not in data.also_known_as:
        raise InboxError(403, "The Move target does not list the actor in alsoKnownAs")
    if not await policy.is_allowed(session, settings, data.domain):
        return
    target = await do_store_remote_account(session, settings, data)
    if target.id != ctx.actor.id:
        await do_set_moved(session, ctx.actor, target)


async def flag(session: AsyncSession, settings: Settings, ctx: InboxContext) -> None:
    """A remote server reports local accounts or posts: one open moderation flag per
    reported local account, with the comment and the reported posts."""
    if (await policy.domain_policy(session, settings, ctx.actor.domain)).reject_reports:
        return
    obj = ctx.object
    uris = [u for u in (id_of(x) for x in (obj if isinstance(obj, list) else [obj])) if u]
    accounts: dict[int, Account] = {}
    status_ids: dict[int, list[str]] = {}
    for uri in uris[:100]:
        account = await find_account(session, settings, uri)
        if account is not None and account.local:
            accounts[account.id] = account
            continue
        status = await session.scalar(select(Status).where(Status.uri == uri))
        if status is not None and status.local:
            status_ids.setdefault(status.account_id, []).append(str(status.id))
            if status.account_id not in accounts:
                owner = await session.get(Account, status.account_id)
                if owner is not None:
                    accounts[owner.id] = owner
    comment = plain_text(ctx.activity.get("content"), max_chars=1000)
    for account_id in accounts:
        session.add(
            ModerationFlag(
                account_id=account_id,
                kind="report",
                related_account_id=ctx.actor.id,
                detail={
                    "source": "federation",
                    "activity": ctx.activity["id"][:1024],
                    "domain": ctx.actor.domain,
                    "comment": comment,
                    "status_ids": status_ids.get(account_id, [])[:50],
                },
            )
        )
    await session.flush()


HANDLERS = {"Move": move, "Flag": flag}
PREPARERS = {"Update": prepare_update, "Move": prepare_move}
