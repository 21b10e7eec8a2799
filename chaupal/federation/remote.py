"""Remote actors and objects: fetched from their own origin, checked, and stored through
`chaupal.actions.remote_accounts` / `remote_statuses`. WebFinger handles resolve with a round
trip (a handle cannot point at someone else's actor), and a remote public key changes only when
the actor document is fetched again from the actor's own origin."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.federation import fetch
from chaupal.federation.hosts import InvalidHost, normalize_host, same_origin, url_if_same_origin
from chaupal.federation.sanitize import plain_text, sanitize_html
from chaupal.models import Account, Status, Tombstone

ACTOR_TYPES = ("Person", "Service", "Application", "Group", "Organization")
NOTE_TYPES = ("Note", "Article", "Page", "Question")
_USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_HANDLE = re.compile(r"^@?([^@\s]+)@([^@\s/]+)$")
JRD_ACCEPT = "application/jrd+json, application/json"
AS_TYPES = ("application/activity+json", "application/ld+json")


class RemoteError(Exception):
    """A remote actor or object could not be resolved, or was refused (reason in the message)."""


@dataclass
class ActorData:
    """A remote actor document after checks: everything we keep about the actor."""

    uri: str
    username: str
    domain: str
    actor_type: str
    display_name: str = ""
    note_html: str = ""
    fields: list[dict[str, Any]] = field(default_factory=list)
    url: str | None = None
    locked: bool = False
    bot: bool = False
    discoverable: bool = True
    indexable: bool = True
    inbox_url: str | None = None
    shared_inbox_url: str | None = None
    outbox_url: str | None = None
    followers_url: str | None = None
    following_url: str | None = None
    featured_url: str | None = None
    public_key: str | None = None
    key_id: str | None = None
    also_known_as: list[str] = field(default_factory=list)
    moved_to: str | None = None
    avatar_remote_url: str | None = None
    header_remote_url: str | None = None


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def id_of(value: Any) -> str | None:
    """The id of an ActivityStreams reference: a string, or an object's `id`."""
    if isinstance(value, dict):
        value = value.get("id")
    return _str(value)


def _same_origin_url(value: Any, actor_id: str) -> str | None:
    url = id_of(value)
    return url if url and same_origin(url, actor_id) else None


def _image_url(value: Any) -> str | None:
    """The URL of an actor's `icon`/`image` (an Image object, a link or a list); any http(s)
    host (media often live on a CDN), never another scheme."""
    for item in value if isinstance(value, list) else [value]:
        url = item.get("url") if isinstance(item, dict) else item
        url = id_of(url) or (url.get("href") if isinstance(url, dict) else None)
        if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
            return url[:1024]
    return None


def _public_key(doc: dict[str, Any], actor_id: str) -> tuple[str | None, str | None]:
    """(PEM, key id) of the actor's key: owned by the actor, its id on the actor's origin."""
    keys = doc.get("publicKey")
    for key in keys if isinstance(keys, list) else [keys]:
        if not isinstance(key, dict):
            continue
        kid, pem, owner = _str(key.get("id")), _str(key.get("publicKeyPem")), key.get("owner")
        if not kid or not pem or not same_origin(kid, actor_id):
            continue
        if owner is not None and id_of(owner) != actor_id:
            continue
        return pem, kid
    return None, None


def parse_actor(settings: Settings, doc: Any, *, expected_uri: str | None = None) -> ActorData:
    """Check an actor document and pull out what we keep. Every endpoint must be on the
    actor's own origin (a shared inbox elsewhere is dropped); markup is sanitised."""
    if not isinstance(doc, dict):
        raise RemoteError("actor document is not an object")
    uri = _str(doc.get("id"))
    if not uri or (expected_uri is not None and uri != expected_uri):
        raise RemoteError("actor id does not match the URL it was fetched from")
    if doc.get("type") not in ACTOR_TYPES:
        raise RemoteError("not an actor")
    try:
        domain = normalize_host(uri)
    except InvalidHost as exc:
        raise RemoteError(f"bad actor id: {exc}") from None
    username = _str(doc.get("preferredUsername"))
    if not username or not _USERNAME.match(username):
        raise RemoteError("actor has no usable preferredUsername")
    inbox = _same_origin_url(doc.get("inbox"), uri)
    if inbox is None:
        raise RemoteError("actor inbox missing or on another origin")
    endpoints = doc.get("endpoints") if isinstance(doc.get("endpoints"), dict) else {}
    pem, kid = _public_key(doc, uri)
    fields = []
    for item in doc.get("attachment") or []:
        if isinstance(item, dict) and item.get("type") == "PropertyValue":
            fields.append(
                {
                    "name": plain_text(item.get("name"), max_chars=255),
                    "value": sanitize_html(item.get("value") or "", max_chars=2048),
                    "verified_at": None,
                }
            )
    aka = doc.get("alsoKnownAs")
    also_known_as = [a for a in (id_of(x) for x in (aka if isinstance(aka, list) else [aka])) if a]
    max_chars = settings.federation_max_remote_content_chars
    return ActorData(
        uri=uri,
        username=username,
        domain=domain,
        actor_type=doc["type"],
        display_name=plain_text(doc.get("name"), max_chars=255),
        note_html=sanitize_html(doc.get("summary") or "", max_chars=max_chars),
        fields=fields[:16],
        url=url_if_same_origin(doc.get("url"), uri),
        locked=doc.get("manuallyApprovesFollowers") is True,
        bot=doc["type"] in ("Service", "Application"),
        discoverable=doc.get("discoverable") is not False,
        indexable=doc.get("indexable") is True,
        inbox_url=inbox,
        shared_inbox_url=_same_origin_url(endpoints.get("sharedInbox"), uri),
        outbox_url=_same_origin_url(doc.get("outbox"), uri),
        followers_url=_same_origin_url(doc.get("followers"), uri),
        following_url=_same_origin_url(doc.get("following"), uri),
        featured_url=_same_origin_url(doc.get("featured"), uri),
        public_key=pem,
        key_id=kid,
        also_known_as=also_known_as[:16],
        moved_to=id_of(doc.get("movedTo")),
        avatar_remote_url=_image_url(doc.get("icon")),
        header_remote_url=_image_url(doc.get("image")),
    )


def local_username(settings: Settings, uri: str) -> str | None:
    """`name` when `uri` is one of our actors (`{base_url}/users/{name}`, or the profile page
    `{base_url}/@{name}` some servers put in mentions), else None."""
    for prefix in (f"{settings.base_url}/users/", f"{settings.base_url}/@"):
        if uri.startswith(prefix):
            rest = uri[len(prefix):]
            if rest and not any(c in rest for c in "/#?@"):
                return rest
    return None


async def find_account(session: AsyncSession, settings: Settings, uri: str) -> Account | None:
    """The account an actor URI names, local or remote, if we have it."""
    name = local_username(settings, uri)
    if name is not None:
        return await session.scalar(
            select(Account).where(Account.username_lower == name.lower(), Account.domain == "")
        )
    return await session.scalar(select(Account).where(Account.uri == uri).limit(1))


async def fetch_actor(settings: Settings, uri: str) -> ActorData:
    """Fetch `uri` from its own origin and check it (network only, no database)."""
    try:
        doc = await fetch.fetch_object(settings, uri)
    except fetch.FetchError as exc:
        raise RemoteError(f"could not fetch actor {uri}: {exc}") from None
    data = parse_actor(settings, doc)
    if not same_origin(data.uri, uri):  # fetch.py checks this too; the key depends on it
        raise RemoteError("actor id is not on the origin it was fetched from")
    return data


def is_stale(settings: Settings, account: Account) -> bool:
    """A remote account last fetched longer ago than `federation_actor_refresh_seconds`."""
    fetched = account.last_fetched_at
    return fetched is None or fetched < utcnow() - timedelta(
        seconds=settings.federation_actor_refresh_seconds
    )


async def resolve_actor(
    session: AsyncSession, settings: Settings, uri: str, *, refresh: bool = False
) -> Account:
    """The account of actor `uri`: from the database when fresh, else fetched from its origin
    and stored (flushed; the caller commits). `refresh=True` always refetches.
    The fetch happens inside the caller's session: callers holding a SQLite write transaction
    should fetch first (`fetch_actor`) and store after (`do_store_remote_account`)."""
    from chaupal.actions.remote_accounts import do_store_remote_account

    existing = await find_account(session, settings, uri)
    if existing is not None and (existing.local or (not refresh and not is_stale(settings, existing))):
        return existing
    if local_username(settings, uri) is not None or same_origin(uri, settings.base_url):
        raise RemoteError("no such local actor")
    data = await fetch_actor(settings, uri)
    return await do_store_remote_account(session, settings, data)


# --- WebFinger ---------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    name = host
    if name.startswith("["):
        name = name[1 : name.find("]")]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def webfinger_url(settings: Settings, host: str, resource: str) -> str:
    """`https://{host}/.well-known/webfinger?resource=...` (plain http only for loopback peers
    in test mode, as fetch.py allows)."""
    scheme = "https"
    if settings.federation_allow_http_loopback and _is_loopback(host):
        scheme = "http"
    return f"{scheme}://{host}/.well-known/webfinger?resource={quote(resource, safe=':@')}"


async def webfinger(settings: Settings, host: str, resource: str) -> dict[str, Any]:
    """The JRD document `host` serves for `resource` (network)."""
    try:
        doc = await fetch.fetch_json(settings, webfinger_url(settings, host, resource), accept=JRD_ACCEPT)
    except fetch.FetchError as exc:
        raise RemoteError(f"WebFinger lookup of {resource} failed: {exc}") from None
    if not isinstance(doc, dict):
        raise RemoteError("WebFinger answer is not an object")
    return doc


def self_link(jrd: dict[str, Any]) -> str | None:
    """The ActivityPub actor a JRD document points to (`rel=self`, an AS content type)."""
    for link in jrd.get("links") or []:
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        kind = str(link.get("type") or "")
        if any(kind.startswith(t) for t in AS_TYPES):
            return _str(link.get("href"))
    return None


def split_handle(handle: str) -> tuple[str, str]:
    """(username, normalised domain) of `user@domain` or `@user@domain`."""
    match = _HANDLE.match(handle.strip()) if isinstance(handle, str) else None
    if match is None:
        raise RemoteError("not a user@domain handle")
    try:
        return match.group(1), normalize_host(match.group(2))
    except InvalidHost as exc:
        raise RemoteError(f"bad domain: {exc}") from None


async def verify_handle(settings: Settings, username: str, domain: str) -> ActorData:
    """The actor `username@domain` names, with the round trip: the actor WebFinger points to
    must live on `domain`; if it lives on another host, that host's WebFinger for the actor's
    preferredUsername must point back at the same actor AND name `username@domain` as its
    subject (or alias). Anything else is refused. Network only, no database."""
    handle = f"{username}@{domain}"
    jrd = await webfinger(settings, domain, f"acct:{handle}")
    actor_uri = self_link(jrd)
    if actor_uri is None:
        raise RemoteError(f"WebFinger for {handle} names no ActivityPub actor")
    data = await fetch_actor(settings, actor_uri)
    if data.domain == domain:
        return data
    # The actor lives elsewhere (e.g. handle domain gov.example, server social.gov.example):
    # its own host must confirm both the actor and the handle.
    back = await webfinger(settings, data.domain, f"acct:{data.username}@{data.domain}")
    subject = _str(back.get("subject")) or ""
    aliases = {a for a in back.get("aliases") or [] if isinstance(a, str)}
    if self_link(back) != data.uri or (
        subject.lower().removeprefix("acct:") != handle.lower() and f"acct:{handle}" not in aliases
    ):
        raise RemoteError(f"{handle} points at an actor on {data.domain} that does not confirm it")
    return data


async def resolve_handle(session: AsyncSession, settings: Settings, handle: str) -> Account:
    """The account of `user@domain`: local for our own domain, else looked up with WebFinger
    (round trip checked, see `verify_handle`), fetched and stored (flushed)."""
    from chaupal.actions.remote_accounts import do_store_remote_account

    username, domain = split_handle(handle)
    if domain in (normalize_host(settings.base_url), normalize_host(settings.domain)):
        local = await session.scalar(
            select(Account).where(
                Account.username_lower == func.lower(username), Account.domain == ""
            )
        )
        if local is None:
            raise RemoteError("no such local account")
        return local
    data = await verify_handle(settings, username, domain)
    return await do_store_remote_account(session, settings, data)


# --- objects -----------------------------------------------------------------------------


async def is_tombstoned(session: AsyncSession, uri: str) -> bool:
    return await session.scalar(select(Tombstone.id).where(Tombstone.uri == uri)) is not None


def attributed_to(doc: dict[str, Any]) -> str | None:
    """The first actor in `attributedTo` (a string, an object or a list)."""
    value = doc.get("attributedTo")
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and item.get("type") not in (None, *ACTOR_TYPES):
            continue
        found = id_of(item)
        if found:
            return found
    return None


def check_note(doc: Any, *, expected_uri: str | None = None) -> dict[str, Any]:
    """A Note (or Article/Page/Question) document whose `attributedTo` is on its own origin."""
    if not isinstance(doc, dict) or doc.get("type") not in NOTE_TYPES:
        raise RemoteError("not a Note")
    uri = _str(doc.get("id"))
    if not uri or (expected_uri is not None and uri != expected_uri):
        raise RemoteError("object id does not match the URL it was fetched from")
    author = attributed_to(doc)
    if author is None or not same_origin(author, uri):
        raise RemoteError("attributedTo is not on the object's origin")
    return doc


async def fetch_note(settings: Settings, uri: str) -> dict[str, Any]:
    """Fetch a Note from its origin and check it (network only): its id on the origin it was
    fetched from, its author on the Note's origin."""
    try:
        doc = await fetch.fetch_object(settings, uri)
    except fetch.FetchError as exc:
        raise RemoteError(f"could not fetch {uri}: {exc}") from None
    note = check_note(doc)
    if not same_origin(note["id"], uri):
        raise RemoteError("object id is not on the origin it was fetched from")
    return note


async def resolve_status(session: AsyncSession, settings: Settings, uri: str) -> Status | None:
    """The status `uri` names: ours, already stored, or fetched from its origin (the fetched
    id must be on the URL's origin and the author on the Note's) and stored. None when the
    object was deleted (tombstone) or its author is suspended."""
    from chaupal.actions.remote_statuses import do_create_remote_status

    existing = await session.scalar(select(Status).where(Status.uri == uri))
    if existing is not None:
        return existing
    if same_origin(uri, settings.base_url):
        return None  # ours, and not found
    if await is_tombstoned(session, uri):
        return None
    note = await fetch_note(settings, uri)
    if note["id"] != uri:
        again = await session.scalar(select(Status).where(Status.uri == note["id"]))
        if again is not None:
            return again
        if await is_tombstoned(session, note["id"]):
            return None
    author = await resolve_actor(session, settings, attributed_to(note) or "")
    if author.suspended_at is not None:
        return None
    return await do_create_remote_status(session, settings, author, note)
