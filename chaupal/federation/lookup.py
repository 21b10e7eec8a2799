"""Search's remote lookups (issue 7): a `user@domain` handle, or the URL of an actor or a post,
found among what we already hold or — for a signed-in user asking with `resolve=true` —
fetched from its origin through `chaupal.federation.remote` and stored.

The network comes first, outside any transaction (a slow server never holds the SQLite writer
lock); the store is a short write transaction of its own. Domains the operator refuses
(allow-list mode, suspended) resolve to nothing, and so does anything that fails a check."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.federation.hosts import InvalidHost, normalize_host, same_origin
from chaupal.models import Account, Status

if TYPE_CHECKING:
    from chaupal.federation.remote import ActorData

# The fetching modules are imported when a lookup needs the network: the API modules that
# import this one load without pulling in the HTTP client stack.

log = logging.getLogger(__name__)

_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
_HANDLE = re.compile(r"^@?([^@\s/]+)@([^@\s/]+)$")


def is_url(q: str) -> bool:
    return bool(_URL.match(q.strip()))


def split_handle(settings: Settings, q: str) -> tuple[str, str] | None:
    """(username, domain) of `user@domain` / `@user@domain`; domain "" for our own domain.
    None when `q` is not a handle with a domain."""
    match = _HANDLE.match(q.strip())
    if match is None:
        return None
    username = match.group(1)
    try:
        domain = normalize_host(match.group(2))
    except (InvalidHost, ValueError):
        return None
    if domain in _our_hosts(settings):
        return username, ""
    return username, domain


def _our_hosts(settings: Settings) -> set[str]:
    hosts = set()
    for value in (settings.domain, settings.base_url):
        try:
            hosts.add(normalize_host(value))
        except (InvalidHost, ValueError):
            continue
    return hosts


def _host_of(url: str) -> str | None:
    try:
        return normalize_host(url)
    except (InvalidHost, ValueError):
        return None


async def known_account(session: AsyncSession, username: str, domain: str) -> Account | None:
    """The account `username@domain` (domain "" = local) if we hold it and it is not suspended."""
    return await session.scalar(
        select(Account).where(
            Account.username_lower == username.lower(),
            Account.domain == domain,
            Account.suspended_at.is_(None),
        )
    )


async def resolve_handle(
    state: Any, session: AsyncSession, settings: Settings, username: str, domain: str
) -> int | None:
    """The id of the account `username@domain` (domain "" = local): held already, else looked
    up with WebFinger (round trip checked by `remote.verify_handle`), fetched and stored in a
    transaction of its own (committed: read it back with a fresh session)."""
    found = await known_account(session, username, domain)
    if found is not None or not domain or not settings.federation_enabled:
        return found.id if found is not None else None
    from chaupal.federation import fetch, remote
    from chaupal.federation.policy import is_allowed

    if not await is_allowed(session, settings, domain):
        return None
    try:
        data = await remote.verify_handle(settings, username, domain)
    except (remote.RemoteError, fetch.FetchError) as exc:
        log.info("could not resolve %s@%s: %s", username, domain, exc)
        return None
    if data.domain != domain and not await is_allowed(session, settings, data.domain):
        return None
    return await _store_actor(state, settings, data)


async def _store_actor(state: Any, settings: Settings, data: ActorData) -> int | None:
    from chaupal.actions.remote_accounts import do_store_remote_account
    from chaupal.federation.inbox import in_write

    async def work(session: AsyncSession) -> int | None:
        account = await do_store_remote_account(session, settings, data)
        return None if account.suspended_at is not None else account.id

    stored: int | None = await in_write(state, work)
    return stored


async def known_by_url(
    session: AsyncSession, settings: Settings, url: str
) -> tuple[Account | None, Status | None]:
    """What a URL names among the rows we hold: a status (by `uri`, `url`, or our own
    `/@user/ID` page) or an account (by `uri` or `url`)."""
    url = url.strip()
    status = await session.scalar(
        select(Status).where(or_(Status.uri == url, Status.url == url)).limit(1)
    )
    if status is None:
        local = re.match(re.escape(settings.base_url) + r"/@([A-Za-z0-9_]+)/(\d{1,19})$", url)
        if local:
            status = await session.scalar(
                select(Status).join(Account, Account.id == Status.account_id).where(
                    Status.id == int(local.group(2)),
                    Account.username_lower == local.group(1).lower(),
                    Account.domain == "",
                )
            )
    if status is not None:
        return None, status
    account = await session.scalar(
        select(Account).where(
            or_(Account.uri == url, Account.url == url), Account.suspended_at.is_(None)
        ).limit(1)
    )
    if account is None:
        local = re.match(re.escape(settings.base_url) + r"/(?:@|users/)([A-Za-z0-9_]+)/?$", url)
        if local:
            account = await known_account(session, local.group(1), "")
    return account, None


async def resolve_url(
    state: Any, session: AsyncSession, settings: Settings, url: str
) -> tuple[int | None, int | None]:
    """(account id, status id) of what a URL names: held already, else fetched from its origin
    (an actor or a Note; the document's id must be on the URL's origin) and stored with its
    author in a transaction of its own."""
    account, status = await known_by_url(session, settings, url)
    if account is not None or status is not None or not settings.federation_enabled:
        return (account.id if account else None), (status.id if status else None)
    from chaupal.federation import fetch, remote
    from chaupal.federation.policy import is_allowed

    host = _host_of(url)
    if host is None or host in _our_hosts(settings) or not await is_allowed(session, settings, host):
        return None, None
    try:
        doc = await fetch.fetch_object(settings, url)
        if isinstance(doc, dict) and doc.get("type") in remote.ACTOR_TYPES:
            data = remote.parse_actor(settings, doc)
            if not same_origin(data.uri, url):
                return None, None
            return await _store_actor(state, settings, data), None
        note = remote.check_note(doc)
        if not same_origin(note["id"], url):
            return None, None
        author_uri = remote.attributed_to(note) or ""
        author = await session.scalar(select(Account).where(Account.uri == author_uri).limit(1))
        author_data = None if author is not None else await remote.fetch_actor(settings, author_uri)
    except (remote.RemoteError, fetch.FetchError) as exc:
        log.info("could not resolve %s: %s", url, exc)
        return None, None
    return None, await _store_note(state, settings, note, author_uri, author_data)


async def _store_note(
    state: Any,
    settings: Settings,
    note: dict[str, Any],
    author_uri: str,
    author_data: ActorData | None,
) -> int | None:
    from chaupal.actions.remote_accounts import do_store_remote_account
    from chaupal.actions.remote_statuses import do_create_remote_status
    from chaupal.federation.inbox import in_write

    async def work(session: AsyncSession) -> int | None:
        if author_data is not None:
            author = await do_store_remote_account(session, settings, author_data)
        else:
            author = (await session.scalars(select(Account).where(Account.uri == author_uri))).one()
        if author.suspended_at is not None:
            return None
        status = await do_create_remote_status(session, settings, author, note)
        return status.id if status is not None else None

    stored: int | None = await in_write(state, work)
    return stored


def known_ids_by_url(account: Account | None, status: Status | None) -> tuple[int | None, int | None]:
    return (account.id if account else None), (status.id if status else None)


def fresh_reader(state: Any, settings: Settings) -> Any:
    """A new session that sees what a lookup just committed: on SQLite a new read-only
    transaction (the request's own may predate the write), on PostgreSQL the primary (a replica
    may lag)."""
    return state.read_sessions() if settings.is_sqlite else state.sessions()
