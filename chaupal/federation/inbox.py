"""The inbox: checks every delivered activity (size, content type, JSON shape, domain policy,
HTTP signature, signer == actor or a forwarded object refetched from its origin (see
`inbox_forwarded`), ids on the actor's origin), fetches what it needs from the
network BEFORE any write transaction, then applies it once (ProcessedActivity is unique) in
one committed transaction before answering 202. Handlers live in `inbox_*.py`."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.events import after_commit, discard_pending, hub_of
from chaupal.federation import httpsig, policy
from chaupal.federation.hosts import InvalidHost, normalize_host, same_origin
from chaupal.federation.remote import RemoteError, fetch_actor, id_of, local_username
from chaupal.models import Account, ProcessedActivity

log = logging.getLogger(__name__)

AS_CONTENT_TYPES = ("application/activity+json", "application/ld+json")


class InboxError(Exception):
    """A delivery refused with an HTTP status and a Mastodon-style message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class InboxContext:
    """One verified delivery: the activity, its (stored) actor, the local account whose inbox
    it was posted to (None for the shared inbox), and what `prepare` fetched."""

    activity: dict[str, Any]
    actor: Account
    recipient: Account | None = None
    prepared: dict[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return str(self.activity.get("type") or "")

    @property
    def object(self) -> Any:
        return self.activity.get("object")


Handler = Callable[[AsyncSession, Settings, InboxContext], Awaitable[None]]
Preparer = Callable[[Any, Settings, InboxContext], Awaitable[None]]


def check_content_type(value: str | None) -> None:
    """`application/activity+json` or `application/ld+json` (any profile): else 415."""
    media = (value or "").split(";", 1)[0].strip().lower()
    if media not in AS_CONTENT_TYPES:
        raise InboxError(415, "Content type must be application/activity+json")


def parse_activity(body: bytes) -> dict[str, Any]:
    try:
        activity = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InboxError(400, "Body is not JSON") from None
    if not isinstance(activity, dict):
        raise InboxError(400, "Activity must be a JSON object")
    for name in ("id", "type", "actor"):
        if not id_of(activity.get(name)) and not isinstance(activity.get(name), str):
            raise InboxError(400, f"Activity has no {name}")
    if not isinstance(activity["type"], str) or not isinstance(activity["id"], str):
        raise InboxError(400, "Activity id and type must be strings")
    return activity


# --- sessions: reads, and short writes that queue behind the SQLite writer lock -------------


@asynccontextmanager
async def read_session(state: Any) -> AsyncIterator[AsyncSession]:
    async with state.read_sessions() as session:
        yield session


async def in_write(state: Any, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    """Run `work(session)` in its own transaction, committed; events go out after commit."""
    lock = getattr(state, "write_lock", None)
    if lock is not None:
        await lock.acquire()
    try:
        async with state.sessions() as session:
            try:
                result = await work(session)
                await session.commit()
            except BaseException:
                discard_pending(session)
                await session.rollback()
                raise
    finally:
        if lock is not None:
            lock.release()
    await after_commit(session, hub_of(state))
    return result


# --- the actor and its key ------------------------------------------------------------------


async def _store(state: Any, settings: Settings, data: Any) -> Account:
    from chaupal.actions.remote_accounts import do_store_remote_account

    return await in_write(state, lambda s: do_store_remote_account(s, settings, data))


async def _account_by_key(state: Any, key_id: str) -> Account | None:
    async with read_session(state) as session:
        return await session.scalar(
            select(Account).where(Account.key_id == key_id, Account.domain != "").limit(1)
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _key_owner(key_id: str) -> str:
    return key_id.split("#", 1)[0]


async def _fetch_key(state: Any, settings: Settings, key_id: str) -> str | None:
    """Fetch the key's actor from its origin, store it (this is how keys change), and return
    the key if the actor really owns it."""
    try:
        data = await fetch_actor(settings, _key_owner(key_id))
    except RemoteError as exc:
        log.info("inbox: key %s unresolvable: %s", key_id, exc)
        return None
    await _store(state, settings, data)
    return data.public_key if data.key_id == key_id else None


def key_resolvers(state: Any, settings: Settings) -> tuple[Any, Any]:
    """(resolve_key, refresh_key) for httpsig.verify_request: the stored key, else (and on a
    failed check, once) a fresh fetch of the actor document from the key's own origin."""

    async def resolve(key_id: str) -> str | None:
        account = await _account_by_key(state, key_id)
        if account is not None and account.public_key:
            return account.public_key
        return await _fetch_key(state, settings, key_id)

    async def refresh(key_id: str) -> str | None:
        # A forged or broken signature must not make us fetch the actor's server every time:
        # a key fetched recently is not fetched again (federation_key_refresh_min_seconds).
        account = await _account_by_key(state, key_id)
        fetched = account.last_fetched_at if account is not None else None
        if fetched is not None:
            age = (utcnow() - _aware(fetched)).total_seconds()
            if age < settings.federation_key_refresh_min_seconds:
                return None
        return await _fetch_key(state, settings, key_id)

    return resolve, refresh


# --- the pipeline -------------------------------------------------------------------------


def _handlers() -> dict[str, Handler]:
    from chaupal.federation import inbox_content, inbox_follows, inbox_people

    return {**inbox_follows.HANDLERS, **inbox_content.HANDLERS, **inbox_people.HANDLERS}


def _preparers() -> dict[str, Preparer]:
    from chaupal.federation import inbox_content, inbox_people

    return {**inbox_content.PREPARERS, **inbox_people.PREPARERS}


async def _recipient(state: Any, username: str | None) -> Account | None:
    if username is None:
        return None
    async with read_session(state) as session:
        account = await session.scalar(
            select(Account).where(Account.username_lower == username.lower(), Account.domain == "")
        )
    if account is None or account.suspended_at is not None:
        raise InboxError(404, "Record not found")
    return account


async def receive(
    state: Any,
    settings: Settings,
    *,
    method: str,
    path_qs: str,
    headers: Mapping[str, str],
    body: bytes,
    username: str | None = None,
) -> None:
    """Check and apply one delivery; raises InboxError with the status to answer. Returns
    (for a 202) only once the activity is committed, or was already applied before."""
    if not settings.federation_enabled:
        raise InboxError(404, "Record not found")
    check_content_type(headers.get("content-type"))
    activity = parse_activity(body)
    actor_uri = id_of(activity["actor"]) or ""
    try:
        domain = normalize_host(actor_uri)
    except InvalidHost:
        raise InboxError(400, "Activity actor is not a URL") from None
    if same_origin(actor_uri, settings.base_url) or local_username(settings, actor_uri):
        raise InboxError(401, "Activity claims a local actor")
    if not same_origin(activity["id"], actor_uri):
        # An id on another origin could claim (and so suppress) someone else's activity.
        raise InboxError(400, "Activity id is not on the actor's origin")
    recipient = await _recipient(state, username)
    async with read_session(state) as session:
        if not await policy.is_allowed(session, settings, domain):
            raise InboxError(403, "This server does not federate with your domain")

    if activity["type"] == "Delete" and id_of(activity.get("object")) == actor_uri:
        async with read_session(state) as session:
            known = await session.scalar(select(Account.id).where(Account.uri == actor_uri).limit(1))
        if known is None:
            return  # an actor we never knew deleted itself: nothing to do, and its key is gone

    resolve, refresh = key_resolvers(state, settings)
    try:
        key_id = await httpsig.verify_request(
            settings, method, path_qs, headers, body, resolve,
            refresh_key=refresh, expected_host=settings.domain,
        )
    except httpsig.SignatureError as exc:
        raise InboxError(401, f"Signature verification failed: {exc.message}") from None
    signer = await _account_by_key(state, key_id)
    if signer is None:
        raise InboxError(401, "The request was not signed by the activity's actor")
    actor, forwarded = signer, signer.uri != actor_uri
    if forwarded:
        from chaupal.federation import inbox_forwarded

        checked = await inbox_forwarded.verify(state, settings, activity, signer)
        if checked is None:
            raise InboxError(401, "The request was not signed by the activity's actor")
        actor, activity = checked  # the object as its own origin serves it
    if actor.suspended_at is not None and activity["type"] != "Delete":
        return  # a removed actor: acknowledged, ignored

    async with read_session(state) as session:
        done = await session.scalar(
            select(ProcessedActivity.id).where(ProcessedActivity.uri == activity["id"])
        )
    if done is not None:
        return
    ctx = InboxContext(activity=activity, actor=actor, recipient=recipient)
    preparer = _preparers().get(ctx.type)
    if preparer is not None:
        await preparer(state, settings, ctx)  # network, outside any write transaction
    handler = _handlers().get(ctx.type)

    async def apply(session: AsyncSession) -> None:
        try:
            # A forwarded activity is not recorded: its id came from a third party, and would
            # let it pre-claim (so suppress) the actor's own delivery. Applying the refetched
            # object twice changes nothing.
            if not forwarded:
                async with session.begin_nested():
                    session.add(
                        ProcessedActivity(uri=activity["id"][:1024], actor_uri=actor_uri[:1024])
                    )
                    await session.flush()
        except IntegrityError:
            return  # a concurrent delivery of the same activity got here first
        ctx.actor = await session.get(Account, actor.id) or actor
        if ctx.recipient is not None:
            ctx.recipient = await session.get(Account, ctx.recipient.id)
        if handler is not None:
            await handler(session, settings, ctx)

    await in_write(state, apply)
