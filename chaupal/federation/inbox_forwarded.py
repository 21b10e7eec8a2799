"""Forwarded activities (signed by a server other than the actor's, e.g. a reply forwarded to
the followers of the post's author): the forwarded body is never trusted. A Create/Update of a
Note is replaced by the Note fetched from its own origin; a Delete counts only when that origin
says the object is gone. Every other forwarded activity is refused (decision 145)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from chaupal.config import Settings
from chaupal.federation import fetch, policy
from chaupal.federation.hosts import same_origin
from chaupal.federation.inbox import _store, read_session
from chaupal.federation.remote import (
    RemoteError,
    attributed_to,
    fetch_actor,
    fetch_note,
    id_of,
    is_stale,
)
from chaupal.models import Account, Status

log = logging.getLogger(__name__)

FORWARDABLE = ("Create", "Update", "Delete")
GONE_STATUSES = (404, 410)


async def _gone(settings: Settings, uri: str) -> bool:
    """The object's origin answers 404/410 for it, or serves a Tombstone in its place."""
    try:
        doc = await fetch.fetch_object(settings, uri)
    except fetch.FetchError as exc:
        return exc.status in GONE_STATUSES  # a timeout or a refusal proves nothing
    return doc.get("type") == "Tombstone" and doc.get("id") == uri


async def _author(state: Any, settings: Settings, actor_uri: str) -> Account | None:
    """The activity's actor: stored, else (or when stale) fetched from its origin and stored."""
    async with read_session(state) as session:
        account = await session.scalar(select(Account).where(Account.uri == actor_uri).limit(1))
    if account is not None and not is_stale(settings, account):
        return account
    try:
        data = await fetch_actor(settings, actor_uri)
    except RemoteError as exc:
        log.info("inbox: forwarded activity's actor %s unresolvable: %s", actor_uri, exc)
        return account
    if data.uri != actor_uri:
        return None
    return await _store(state, settings, data)


async def verify(
    state: Any, settings: Settings, activity: dict[str, Any], signer: Account
) -> tuple[Account, dict[str, Any]] | None:
    """(the actor, the activity with its object as its origin serves it) for a forwarded
    activity we accept, else None (refused like any activity not signed by its actor).
    Network, outside any write transaction."""
    actor_uri = id_of(activity.get("actor")) or ""
    uri = id_of(activity.get("object"))
    if activity["type"] not in FORWARDABLE or not uri or uri == actor_uri:
        return None  # an actor's own Delete is never taken from a third party
    if signer.suspended_at is not None:
        return None
    async with read_session(state) as session:
        if not await policy.is_allowed(session, settings, signer.domain):
            return None
    if not same_origin(uri, actor_uri):
        return None  # only the actor's own server speaks for its objects
    if activity["type"] == "Delete":
        async with read_session(state) as session:
            known = await session.scalar(select(Status.id).where(Status.uri == uri))
        # Only a post we hold: a tombstone for a URI not yet used (404 too) would let a third
        # party suppress the actor's next posts.
        if known is None or not await _gone(settings, uri):
            return None
        obj: Any = uri
    else:
        try:
            obj = await fetch_note(settings, uri)
        except RemoteError as exc:
            log.info("inbox: forwarded %s of %s not refetched: %s", activity["type"], uri, exc)
            return None
        if obj["id"] != uri or attributed_to(obj) != actor_uri:
            return None
    actor = await _author(state, settings, actor_uri)
    if actor is None:
        return None
    return actor, {**activity, "object": obj}
