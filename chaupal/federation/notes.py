"""A remote Note read into what a status keeps: sanitised content, content warning, language,
publication time, reply target, mentions, hashtags, attachments and the visibility its
addressing implies (Mastodon's rules). Pure: no database, no network."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.federation.hosts import url_if_same_origin
from chaupal.federation.remote import id_of
from chaupal.federation.sanitize import plain_text, sanitize_html

PUBLIC_IDS = frozenset({"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"})
MEDIA_TYPES = {"image": "image", "video": "video", "audio": "audio", "gifv": "gifv"}
_TAG_NAME = re.compile(r"^#?([^\s#]{1,255})$")
_BLOCK_END = re.compile(r"</p>|<br\s*/?>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")


@dataclass
class RemoteAttachment:
    url: str
    type: str
    content_type: str
    description: str | None
    blurhash: str | None
    meta: dict[str, Any]


@dataclass
class NoteData:
    uri: str
    content: str
    text: str
    spoiler_text: str
    sensitive: bool
    language: str | None
    created_at: datetime
    url: str | None
    in_reply_to: str | None
    visibility: str
    mention_uris: list[str] = field(default_factory=list)
    addressed: list[str] = field(default_factory=list)  # every actor id in to/cc
    tags: list[str] = field(default_factory=list)
    attachments: list[RemoteAttachment] = field(default_factory=list)


def _ids(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [i for i in (id_of(x) for x in items) if i]


def visibility_of(note: dict[str, Any], followers_url: str | None) -> str:
    """public (Public in `to`), unlisted (Public in `cc`), private (the author's followers
    addressed), else direct."""
    to, cc = _ids(note.get("to")), _ids(note.get("cc"))
    if PUBLIC_IDS & set(to):
        return "public"
    if PUBLIC_IDS & set(cc):
        return "unlisted"
    if followers_url and followers_url in to + cc:
        return "private"
    return "direct"


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def html_to_text(content: str) -> str:
    """Plain text of sanitised HTML (for search and the reaction monitor)."""
    text = _BLOCK_END.sub("\n", content)
    return html.unescape(_TAGS.sub("", text)).strip()


def _language(note: dict[str, Any]) -> str | None:
    content_map = note.get("contentMap")
    if isinstance(content_map, dict):
        for key in content_map:
            if isinstance(key, str) and re.match(r"^[a-zA-Z]{2,3}(-[A-Za-z0-9]+)*$", key):
                return key.split("-")[0].lower()
    return None


def _content(note: dict[str, Any]) -> str:
    content = note.get("content")
    if not isinstance(content, str):
        content_map = note.get("contentMap")
        if isinstance(content_map, dict):
            content = next((v for v in content_map.values() if isinstance(v, str)), "")
    return content if isinstance(content, str) else ""


def _attachments(settings: Settings, note: dict[str, Any]) -> list[RemoteAttachment]:
    raw = note.get("attachment")
    out: list[RemoteAttachment] = []
    for item in raw if isinstance(raw, list) else [raw]:
        if not isinstance(item, dict) or len(out) >= settings.federation_max_remote_attachments:
            continue
        url = item.get("url")
        if isinstance(url, list):
            url = url[0] if url else None
        href = id_of(url) or (url.get("href") if isinstance(url, dict) else None)
        if not isinstance(href, str) or not href.lower().startswith(("https://", "http://")):
            continue
        media_type = str(item.get("mediaType") or "")[:64]
        major = media_type.split("/")[0]
        kind = MEDIA_TYPES.get(major, "unknown")
        meta: dict[str, Any] = {}
        if isinstance(item.get("width"), int) and isinstance(item.get("height"), int):
            meta["original"] = {"width": item["width"], "height": item["height"]}
        blurhash = item.get("blurhash")
        out.append(
            RemoteAttachment(
                url=href[:1024],
                type=kind,
                content_type=media_type or "application/octet-stream",
                description=plain_text(item.get("name"), max_chars=1500) or None,
                blurhash=blurhash[:255] if isinstance(blurhash, str) else None,
                meta=meta,
            )
        )
    return out


def parse_note(settings: Settings, note: dict[str, Any], followers_url: str | None) -> NoteData:
    """Read a checked Note (see `remote.check_note`)."""
    uri = note["id"]
    content = sanitize_html(_content(note), max_chars=settings.federation_max_remote_content_chars)
    spoiler = plain_text(note.get("summary"), max_chars=settings.federation_max_remote_content_chars)
    now = utcnow()
    published = parse_time(note.get("published")) or now
    if published > now + timedelta(minutes=5):  # a clock ahead (or a lie) cannot jump the queue
        published = now
    mentions: list[str] = []
    tags: list[str] = []
    raw_tags = note.get("tag")
    for tag in raw_tags if isinstance(raw_tags, list) else [raw_tags]:
        if not isinstance(tag, dict):
            continue
        if tag.get("type") == "Mention":
            href = id_of(tag.get("href"))
            if href and href not in mentions:
                mentions.append(href)
        elif tag.get("type") == "Hashtag":
            match = _TAG_NAME.match(str(tag.get("name") or "").strip())
            if match and match.group(1) not in tags:
                tags.append(match.group(1))
    in_reply_to = id_of(note.get("inReplyTo"))
    return NoteData(
        uri=uri,
        content=content,
        text=html_to_text(content),
        spoiler_text=spoiler,
        sensitive=note.get("sensitive") is True or bool(spoiler),
        language=_language(note),
        created_at=published,
        url=url_if_same_origin(note.get("url"), uri) or uri,
        in_reply_to=in_reply_to,
        visibility=visibility_of(note, followers_url),
        mention_uris=mentions[:50],
        addressed=[a for a in _ids(note.get("to")) + _ids(note.get("cc")) if a not in PUBLIC_IDS],
        tags=tags[:20],
        attachments=_attachments(settings, note),
    )
