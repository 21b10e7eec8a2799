"""Editing one's own profile (Mastodon's update_credentials): display name, bio as safe HTML,
profile fields, flags and posting defaults — every length and count from settings."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions import audit
from chaupal.actions.impersonation import do_flag_lookalikes
from chaupal.actions.link_verification import do_enqueue_link_verification
from chaupal.config import Settings
from chaupal.errors import unprocessable
from chaupal.federation import hooks
from chaupal.models import Account, User

URL_RE = re.compile(r"https?://[^\s<>\"'\x00-\x1f]+", re.IGNORECASE)
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
PRIVACIES = ("public", "unlisted", "private")
_TRAILING = ".,;:!?)]}'\""


def _link(url: str) -> str:
    href = html.escape(url, quote=True)
    shown = html.escape(re.sub(r"^https?://(www\.)?", "", url, flags=re.IGNORECASE))
    return f'<a href="{href}" target="_blank" rel="nofollow noopener noreferrer" translate="no">{shown}</a>'


def linkify(text: str) -> str:
    """Escape text and turn http(s) URLs into links; nothing else of the input becomes markup."""
    out: list[str] = []
    pos = 0
    for m in URL_RE.finditer(text):
        url = m.group(0)
        while url and url[-1] in _TRAILING:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            url = url[:-1]
        if len(url) <= len("https://"):
            continue
        out.append(html.escape(text[pos : m.start()]))
        out.append(_link(url))
        pos = m.start() + len(url)
    out.append(html.escape(text[pos:]))
    return "".join(out)


def note_to_html(note: str) -> str:
    """Plain-text bio to HTML: paragraphs on blank lines, <br /> on single newlines, links."""
    text = note.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join("<p>" + "<br />".join(linkify(line) for line in p.split("\n")) + "</p>" for p in paragraphs)


def check_text(name: str, value: str, limit: int) -> str:
    if "\x00" in value:
        raise unprocessable(f"{name} contains a NUL character")
    if len(value) > limit:
        raise unprocessable(f"{name} is too long (maximum is {limit} characters)")
    return value


@dataclass
class ProfileUpdate:
    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    indexable: bool | None = None
    hide_collections: bool | None = None
    fields: list[tuple[str, str]] | None = None
    privacy: str | None = None
    sensitive: bool | None = None
    language: str | None = None


def check_fields(settings: Settings, raw: Any) -> list[tuple[str, str]]:
    """`fields_attributes` as a Rails hash ({"0": {...}}) or a list; blank pairs are dropped."""
    if isinstance(raw, dict):
        try:
            items = [raw[k] for k in sorted(raw, key=lambda k: int(k))]
        except (TypeError, ValueError):
            raise unprocessable("fields_attributes must be indexed by numbers") from None
    elif isinstance(raw, list):
        items = raw
    else:
        raise unprocessable("fields_attributes must be a list of {name, value}")
    pairs: list[tuple[str, str]] = []
    for item in items:
        if not isinstance(item, dict):
            raise unprocessable("fields_attributes must be a list of {name, value}")
        name, value = item.get("name", ""), item.get("value", "")
        if not isinstance(name, str) or not isinstance(value, str):
            raise unprocessable("field names and values must be strings")
        name, value = name.strip(), value.strip()
        if not name and not value:
            continue
        check_text("field name", name, settings.max_field_chars)
        check_text("field value", value, settings.max_field_chars)
        pairs.append((name, value))
    if len(pairs) > settings.max_profile_fields:
        raise unprocessable(f"too many profile fields (maximum is {settings.max_profile_fields})")
    return pairs


async def check_update_profile(
    session: AsyncSession, settings: Settings, account: Account, user: User, update: ProfileUpdate
) -> None:
    audit.require_owner(session, account.id, "change its profile or settings")
    if update.display_name is not None:
        check_text("display_name", update.display_name, settings.max_display_name_chars)
    if update.note is not None:
        check_text("note", update.note, settings.max_note_chars)
    if update.privacy is not None and update.privacy not in PRIVACIES:
        raise unprocessable(f"source[privacy] must be one of {', '.join(PRIVACIES)}")
    if update.language is not None and update.language and not LANGUAGE_RE.match(update.language):
        raise unprocessable("source[language] must be an ISO 639 language code")
    changed = sorted(k for k, v in vars(update).items() if v is not None)
    audit.record(session, account.id, "profile.update", "account", account.id, fields=changed)
    await do_update_profile(session, account, user, update)
    await hooks.profile_updated(session, settings, account)  # Update(Person) to remote followers


async def do_update_profile(
    session: AsyncSession, account: Account, user: User, update: ProfileUpdate
) -> None:
    renamed = False
    if update.display_name is not None:
        renamed = account.display_name != update.display_name.strip()
        account.display_name = update.display_name.strip()
    if update.note is not None:
        account.note = update.note
        account.note_html = note_to_html(update.note)
    for flag in ("locked", "bot", "discoverable", "indexable", "hide_collections"):
        value = getattr(update, flag)
        if value is not None:
            setattr(account, flag, value)
    if update.fields is not None:
        # A field left as it was keeps its rel="me" verification until the re-check says otherwise.
        kept = {(f.get("name"), f.get("value")): f.get("verified_at") for f in account.fields or []}
        account.fields = [
            {"name": n, "value": v, "value_html": linkify(v), "verified_at": kept.get((n, v))}
            for n, v in update.fields
        ]
        await do_enqueue_link_verification(session, account)
    if update.privacy is not None:
        user.default_visibility = update.privacy
    if update.sensitive is not None:
        user.default_sensitive = update.sensitive
    if update.language is not None:
        user.default_language = update.language or None
    await session.flush()
    if renamed:
        await do_flag_lookalikes(session, account)  # a name imitating a verified account
