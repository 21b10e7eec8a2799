"""The instance actor (Mastodon's): an `Application` at `{base_url}/actor` that speaks for the
server itself. Its key signs our outgoing ActivityPub GETs ("authorized fetch"), so servers in
secure mode answer us, and its document is served to anyone unsigned, so a server can fetch our
key before it verifies anything (no chicken-and-egg between two servers in secure mode).

It is a local `Account` row named `instance.actor` (a dot: no user can register it, usernames
are `[A-Za-z0-9_]`), made with its key pair on first need — the first signed fetch or the first
GET of `/actor` — never at start-up or import. The signer is cached per process and database."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.federation import fetch
from chaupal.federation.hosts import normalize_host
from chaupal.federation.keys import generate_keypair
from chaupal.federation.render_objects import AS_CONTEXT
from chaupal.models import Account

log = logging.getLogger(__name__)

USERNAME = "instance.actor"


def actor_uri(settings: Settings) -> str:
    return f"{settings.base_url}/actor"


def key_id(settings: Settings) -> str:
    return f"{actor_uri(settings)}#main-key"


def preferred_username(settings: Settings) -> str:
    """The domain, as Mastodon names its instance actor; a port's `:` becomes `_` so that the
    name stays a valid remote username elsewhere (test domains carry ports)."""
    return normalize_host(settings.domain).replace(":", "_")


def document(settings: Settings, public_key_pem: str) -> dict[str, Any]:
    """The instance actor's document: Mastodon's shape (inbox = our shared inbox)."""
    uri = actor_uri(settings)
    return {
        "@context": AS_CONTEXT,
        "id": uri,
        "type": "Application",
        "preferredUsername": preferred_username(settings),
        "name": settings.domain,
        "inbox": f"{settings.base_url}/inbox",
        "url": f"{settings.base_url}/about",
        "manuallyApprovesFollowers": True,
        "publicKey": {"id": key_id(settings), "owner": uri, "publicKeyPem": public_key_pem},
        "endpoints": {"sharedInbox": f"{settings.base_url}/inbox"},
    }


def jrd(settings: Settings) -> dict[str, Any]:
    """WebFinger's answer for `acct:{preferred_username}@{domain}`."""
    uri = actor_uri(settings)
    return {
        "subject": f"acct:{preferred_username(settings)}@{settings.domain}",
        "aliases": [uri],
        "links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
             "href": f"{settings.base_url}/about"},
            {"rel": "self", "type": "application/activity+json", "href": uri},
        ],
    }


def is_instance_actor(account: Account) -> bool:
    return account.domain == "" and account.username_lower == USERNAME


async def load(session: AsyncSession) -> Account | None:
    return await session.scalar(
        select(Account).where(Account.username_lower == USERNAME, Account.domain == "")
    )


def _new_row(settings: Settings) -> Account:
    private, public = generate_keypair()
    return Account(
        username=USERNAME,
        username_lower=USERNAME,
        domain="",
        display_name=settings.domain,
        actor_type="Application",
        bot=True,
        locked=True,
        discoverable=False,
        indexable=False,
        hide_collections=True,
        uri=actor_uri(settings),
        key_id=key_id(settings),
        private_key=private,
        public_key=public,
    )


async def ensure(state: Any, *, wait_for_lock: bool = True) -> Account | None:
    """The instance actor, made (with its key pair) in a short write transaction of its own if
    there is none yet. With `wait_for_lock=False` nothing is written while the SQLite writer
    lock is held (the caller may be the holder): None then, and the next need tries again."""
    settings: Settings = state.settings
    async with state.read_sessions() as session:
        found = await load(session)
    if found is not None and found.private_key and found.public_key:
        return found
    lock = getattr(state, "write_lock", None)
    if lock is not None and not wait_for_lock and lock.locked():
        return None
    guard = lock if lock is not None else contextlib.nullcontext()
    async with guard, state.sessions() as session:
        account = await load(session)
        if account is None:
            try:
                async with session.begin_nested():
                    session.add(_new_row(settings))
            except IntegrityError:  # another process made it first
                pass
        elif not (account.private_key and account.public_key):
            account.private_key, account.public_key = generate_keypair()
        await session.commit()
        return await load(session)


# --- the default signer of outgoing GETs --------------------------------------------------

_signers: dict[tuple[str, str], fetch.Signer] = {}


def _cache_key(settings: Settings) -> tuple[str, str]:
    return settings.base_url, settings.resolved_database_url


def cached_signer(settings: Settings) -> fetch.Signer | None:
    return _signers.get(_cache_key(settings))


async def signer(state: Any, settings: Settings) -> fetch.Signer | None:
    """The instance actor's signer (cached per process); None when it cannot be had right now
    (no tables yet, or the SQLite writer lock is held by someone who may be our caller)."""
    hit = _signers.get(_cache_key(settings))
    if hit is not None:
        return hit
    try:
        account = await ensure(state, wait_for_lock=False)
    except Exception:  # never let signing break a fetch: it goes out unsigned
        log.warning("instance actor unavailable; fetching unsigned", exc_info=True)
        return None
    if account is None or not account.private_key:
        return None
    made = fetch.Signer(key_id(settings), account.private_key)
    _signers[_cache_key(settings)] = made
    return made


def install(state: Any, settings: Settings) -> None:
    """Make the instance actor sign this app's outgoing ActivityPub GETs (called when the app
    starts; cheap: nothing is read until the first fetch)."""
    _signers.pop(_cache_key(settings), None)  # a new app may have a new database

    async def source(_: Settings) -> fetch.Signer | None:
        return await signer(state, settings)

    fetch.set_signer_source(settings, source)


def uninstall(settings: Settings) -> None:
    """When the app stops: its fetches are no longer signed from its (closed) database."""
    _signers.pop(_cache_key(settings), None)
    fetch.set_signer_source(settings, None)
