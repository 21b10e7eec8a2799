"""ActivityStreams objects Chaupal serves and sends, in Mastodon's dialect: the JSON-LD context,
the actor and the Note. Builders are pure (rows in, dicts out) except `actor` (makes the key pair
on first need) and `load_note` (gathers what a Note needs from the database)."""

from __future__ import annotations

import html
import mimetypes
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.federation.keys import actor_uri, ensure_keypair, key_id
from chaupal.media.storage import media_base_url
from chaupal.models import Account, MediaAttachment, Mention, Status, StatusTag, Tag
from chaupal.models.gov import InstitutionProfile

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_MEDIA_TYPE = "application/activity+json"
# Our own terms live under a URN: no domain is claimed, and no other server gives them meaning.
CHAUPAL_NS = "urn:chaupal:ns#"
AS_CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "movedTo": {"@id": "as:movedTo", "@type": "@id"},
        "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
        "toot": "http://joinmastodon.org/ns#",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "suspended": "toot:suspended",
        "memorial": "toot:memorial",
        "Emoji": "toot:Emoji",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
        "blurhash": "toot:blurhash",
        "votersCount": "toot:votersCount",
        "schema": "http://schema.org#",  # sic: Mastodon's (wrong) base, which it expects
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "chaupal": CHAUPAL_NS,
        "accountKind": "chaupal:accountKind",
        "verification": "chaupal:verification",
        "institution": "chaupal:institution",
    },
]
ORGANISATION_KINDS = ("institution", "party", "media")


def ap_time(dt: datetime) -> str:
    """Mastodon's ActivityPub timestamps: UTC, whole seconds, `Z`."""
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def unix_ms(dt: datetime) -> int:
    """Milliseconds since the epoch of a UTC time (naive times are UTC, as in our tables)."""
    if dt.tzinfo is not None:
        return int(dt.timestamp() * 1000)
    return int((dt - datetime(1970, 1, 1)).total_seconds() * 1000)


def with_context(document: dict[str, Any]) -> dict[str, Any]:
    """The document as a top-level body: `@context` first."""
    return {"@context": AS_CONTEXT, **{k: v for k, v in document.items() if k != "@context"}}


def bare(document: dict[str, Any]) -> dict[str, Any]:
    """The document embedded in another (no `@context` of its own)."""
    return {k: v for k, v in document.items() if k != "@context"}


# --- actors -----------------------------------------------------------------------------------


def actor_type(account: Account) -> str:
    """Bots are Service (Mastodon's bot flag); institutions, parties and media Organization."""
    if account.bot:
        return "Service"
    if account.kind in ORGANISATION_KINDS:
        return "Organization"
    return "Person"


def followers_uri(settings: Settings, account: Account) -> str:
    return account.followers_url or f"{actor_uri(settings, account)}/followers"


def profile_url(settings: Settings, account: Account) -> str:
    return account.url or f"{settings.base_url}/@{account.username}"


def _image(url: str, path: str) -> dict[str, Any]:
    media_type = mimetypes.guess_type(path)[0] or "image/png"
    return {"type": "Image", "mediaType": media_type, "url": url}


def _field(field: dict[str, Any]) -> dict[str, Any]:
    value = field.get("value_html") or html.escape(str(field.get("value", "")), quote=False)
    return {"type": "PropertyValue", "name": str(field.get("name", "")), "value": value}


async def actor(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    *,
    institution: InstitutionProfile | None = None,
    moved_to_uri: str | None = None,
) -> dict[str, Any]:
    """The actor document of a local account (its key pair is made on first need)."""
    await ensure_keypair(session, account)
    assert account.public_key is not None
    return actor_document(
        settings,
        account,
        public_key_pem=account.public_key,
        institution=institution,
        moved_to_uri=moved_to_uri,
    )


def actor_document(
    settings: Settings,
    account: Account,
    *,
    public_key_pem: str,
    institution: InstitutionProfile | None = None,
    moved_to_uri: str | None = None,
) -> dict[str, Any]:
    """The actor document, given the account's public key (pure; `actor` makes the key)."""
    uri = actor_uri(settings, account)
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": uri,
        "type": actor_type(account),
        "following": f"{uri}/following",
        "followers": f"{uri}/followers",
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "featured": f"{uri}/collections/featured",
        "preferredUsername": account.username,
        "name": account.display_name or "",
        "summary": account.note_html or "",
        "url": profile_url(settings, account),
        "manuallyApprovesFollowers": bool(account.locked),
        "discoverable": bool(account.discoverable),
        "indexable": bool(account.indexable),
        "published": ap_time(account.created_at.replace(hour=0, minute=0, second=0, microsecond=0)),
        "memorial": False,
        "publicKey": {
            "id": key_id(settings, account),
            "owner": uri,
            "publicKeyPem": public_key_pem,
        },
        "tag": [],
        "attachment": [_field(f) for f in (account.fields or []) if isinstance(f, dict)],
        "endpoints": {"sharedInbox": f"{settings.base_url}/inbox"},
    }
    if account.avatar_path:
        doc["icon"] = _image(
            f"{settings.base_url}/system/{account.avatar_path}", account.avatar_path
        )
    if account.header_path:
        doc["image"] = _image(
            f"{settings.base_url}/system/{account.header_path}", account.header_path
        )
    if moved_to_uri:
        doc["movedTo"] = moved_to_uri
    if account.also_known_as:  # the accounts it moved from (they verify a Move against it)
        doc["alsoKnownAs"] = list(account.also_known_as)
    doc["accountKind"] = account.kind
    if account.verification:
        doc["verification"] = account.verification
    if institution is not None:
        doc["institution"] = {
            "category": institution.category,
            "jurisdictionLevel": institution.jurisdiction_level,
            "jurisdiction": institution.jurisdiction,
        }
    return doc


def actor_tombstone(settings: Settings, account: Account) -> dict[str, Any]:
    """What a suspended or deleted local actor's URL answers (with 410 Gone)."""
    return {"@context": AS_CONTEXT, "id": actor_uri(settings, account), "type": "Tombstone"}


# --- notes ------------------------------------------------------------------------------------


def status_uri(settings: Settings, author: Account, status: Status) -> str:
    return status.uri or f"{actor_uri(settings, author)}/statuses/{status.id}"


def addressing(
    settings: Settings, author: Account, visibility: str, mentioned: Sequence[str]
) -> tuple[list[str], list[str]]:
    """(to, cc) of a post, as Mastodon derives visibility from them. `mentioned`: actor URIs."""
    followers = followers_uri(settings, author)
    extra = [m for m in dict.fromkeys(mentioned)]
    if visibility == "public":
        return [PUBLIC], [followers, *extra]
    if visibility == "unlisted":
        return [followers], [PUBLIC, *extra]
    if visibility == "private":
        return [followers], extra
    return extra, []  # direct: only the mentioned


def _attachment(settings: Settings, media: MediaAttachment) -> dict[str, Any]:
    url = media.remote_url or f"{media_base_url(settings)}/{media.file_path}"
    doc: dict[str, Any] = {
        "type": "Document",
        "mediaType": media.content_type,
        "url": url,
        "name": media.description,
        "blurhash": media.blurhash,
    }
    if media.type in ("image", "gifv", "video"):
        doc["focalPoint"] = [media.focus_x, media.focus_y]
    original = (media.meta or {}).get("original") or {}
    if isinstance(original, dict) and original.get("width") and original.get("height"):
        doc["width"], doc["height"] = int(original["width"]), int(original["height"])
    return doc


def mention_name(settings: Settings, account: Account) -> str:
    return f"@{account.username}@{account.domain or settings.domain}"


def tag_href(settings: Settings, name: str) -> str:
    return f"{settings.base_url}/tags/{name}"


def note(
    settings: Settings,
    status: Status,
    *,
    author: Account,
    mentions: Sequence[Account] = (),
    tags: Sequence[str] = (),
    media: Sequence[MediaAttachment] = (),
    in_reply_to_uri: str | None = None,
) -> dict[str, Any]:
    """A status as a Note (never a reblog: those are Announces)."""
    mention_uris = [actor_uri(settings, a) for a in mentions]
    to, cc = addressing(settings, author, status.visibility, mention_uris)
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": status_uri(settings, author, status),
        "type": "Note",
        "summary": status.spoiler_text or None,
        "inReplyTo": in_reply_to_uri,
        "published": ap_time(status.created_at),
        "url": status.url or f"{settings.base_url}/@{author.username}/{status.id}",
        "attributedTo": actor_uri(settings, author),
        "to": to,
        "cc": cc,
        "sensitive": bool(status.sensitive),
        "content": status.content,
        "attachment": [_attachment(settings, m) for m in media],
        "tag": [
            *(
                {
                    "type": "Mention",
                    "href": actor_uri(settings, a),
                    "name": mention_name(settings, a),
                }
                for a in mentions
            ),
            *(
                {"type": "Hashtag", "href": tag_href(settings, n.lower()), "name": f"#{n}"}
                for n in tags
            ),
        ],
    }
    if status.language:
        doc["contentMap"] = {status.language: status.content}
    if status.edited_at:
        doc["updated"] = ap_time(status.edited_at)
    return doc


async def load_note(session: AsyncSession, settings: Settings, status: Status) -> dict[str, Any]:
    """`note()` with its author, mentions, tags, media and parent loaded."""
    return (await load_notes(session, settings, [status]))[0]


async def load_notes(
    session: AsyncSession, settings: Settings, statuses: Sequence[Status]
) -> list[dict[str, Any]]:
    """Notes of several statuses (originals, not reblogs) in a fixed number of queries."""
    if not statuses:
        return []
    ids = [s.id for s in statuses]
    mentions: dict[int, list[Account]] = {}
    for sid, acc in (
        await session.execute(
            select(Mention.status_id, Account)
            .join(Account, Account.id == Mention.account_id)
            .where(Mention.status_id.in_(ids))
            .order_by(Mention.id)
        )
    ).all():
        mentions.setdefault(sid, []).append(acc)
    tags: dict[int, list[str]] = {}
    for sid, name in (
        await session.execute(
            select(StatusTag.status_id, Tag.name)
            .join(Tag, Tag.id == StatusTag.tag_id)
            .where(StatusTag.status_id.in_(ids))
        )
    ).all():
        tags.setdefault(sid, []).append(name)
    media: dict[int, list[MediaAttachment]] = {}
    for m in (
        await session.scalars(
            select(MediaAttachment)
            .where(MediaAttachment.status_id.in_(ids))
            .order_by(MediaAttachment.position, MediaAttachment.id)
        )
    ).all():
        assert m.status_id is not None
        media.setdefault(m.status_id, []).append(m)
    parent_ids = {s.in_reply_to_id for s in statuses if s.in_reply_to_id}
    parents: dict[int, Status] = {}
    if parent_ids:
        rows = await session.scalars(select(Status).where(Status.id.in_(parent_ids)))
        parents = {p.id: p for p in rows.all()}
    account_ids = {s.account_id for s in statuses} | {p.account_id for p in parents.values()}
    accounts = {
        a.id: a
        for a in (await session.scalars(select(Account).where(Account.id.in_(account_ids)))).all()
    }
    out = []
    for s in statuses:
        parent = parents.get(s.in_reply_to_id) if s.in_reply_to_id else None
        parent_uri = status_uri(settings, accounts[parent.account_id], parent) if parent else None
        out.append(
            note(
                settings,
                s,
                author=accounts[s.account_id],
                mentions=mentions.get(s.id, []),
                tags=sorted(tags.get(s.id, [])),
                media=media.get(s.id, []),
                in_reply_to_uri=parent_uri,
            )
        )
    return out
