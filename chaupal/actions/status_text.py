"""Checking and resolving what a status says: text limits, visibility and language values,
mentioned accounts and hashtags. Shared by posting and editing."""

from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.errors import unprocessable
from chaupal.lib.text import Parsed, count_chars, normalize, parse, tag_key
from chaupal.models import Account, Block, Tag
from chaupal.models.statuses import VISIBILITIES
from chaupal.render.accounts import account_url

_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z0-9]{2,8}))?$")


def check_visibility(value: str | None) -> str | None:
    if value is None:
        return None
    if value not in VISIBILITIES:
        raise unprocessable("Visibility is not included in the list")
    return value


def clean_language(value: str | None) -> str | None:
    """A BCP 47-ish code (`hi`, `en-GB`) or None; like Mastodon, anything else is ignored."""
    if not value:
        return None
    m = _LANGUAGE.match(value.strip())
    if not m:
        return None
    lang = m.group(1).lower()
    return f"{lang}-{m.group(2)}" if m.group(2) else lang


def check_text(
    settings: Settings, text: str, spoiler_text: str, *, allow_blank: bool = False
) -> tuple[str, str, Parsed]:
    """Normalise and validate a status body and spoiler; returns them with the parsed body.
    `allow_blank`: the status has media, so the text may be empty (as Mastodon allows)."""
    body = normalize(text or "")
    spoiler = normalize(spoiler_text or "")
    if not body and not allow_blank:
        raise unprocessable("Text can't be blank")
    parsed = parse(body)
    spoiler_len = count_chars(spoiler) if spoiler else 0
    if spoiler_len > settings.max_spoiler_chars:
        raise unprocessable(
            f"Spoiler text character limit of {settings.max_spoiler_chars} exceeded"
        )
    if count_chars(body, parsed) + spoiler_len > settings.max_status_chars:
        raise unprocessable(f"Text character limit of {settings.max_status_chars} exceeded")
    if len(parsed.mentions) > settings.max_mentions_per_status:
        raise unprocessable(f"Too many mentions (maximum is {settings.max_mentions_per_status})")
    if len(parsed.tags) > settings.max_hashtags_per_status:
        raise unprocessable(f"Too many hashtags (maximum is {settings.max_hashtags_per_status})")
    for name in parsed.tags:
        if len(name) > settings.max_hashtag_chars:
            raise unprocessable(
                f"Hashtag is too long (maximum is {settings.max_hashtag_chars} characters)"
            )
    return body, spoiler, parsed


async def resolve_mentions(
    session: AsyncSession, settings: Settings, author: Account, parsed: Parsed
) -> tuple[list[Account], dict[tuple[str, str], str]]:
    """Existing, unsuspended accounts the text mentions (not those blocking the author), and the
    URL of each by (username_lower, domain_lower) for the HTML."""
    wanted = parsed.mentions
    if not wanted:
        return [], {}
    local_domains = {"", settings.domain.lower(), settings.domain.lower().split(":")[0]}
    conds = []
    for username, domain in wanted:
        dom = "" if domain in local_domains else domain
        conds.append((Account.username_lower == username.lower()) & (Account.domain == dom))
    found = (
        await session.scalars(select(Account).where(or_(*conds), Account.suspended_at.is_(None)))
    ).all()
    blockers = (
        set(
            (
                await session.scalars(
                    select(Block.account_id).where(
                        Block.target_account_id == author.id,
                        Block.account_id.in_([a.id for a in found]),
                    )
                )
            ).all()
        )
        if found
        else set()
    )
    by_key = {(a.username_lower, a.domain.lower()): a for a in found if a.id not in blockers}
    accounts: list[Account] = []
    urls: dict[tuple[str, str], str] = {}
    for username, domain in wanted:
        dom = "" if domain in local_domains else domain
        acc = by_key.get((username.lower(), dom))
        if acc is None:
            continue
        urls[(username.lower(), domain)] = account_url(settings, acc)
        if acc not in accounts:
            accounts.append(acc)
    return accounts, urls


async def get_or_create_tags(session: AsyncSession, names: list[str]) -> list[Tag]:
    """Tags by name, creating missing ones; safe when another request creates the same tag."""
    if not names:
        return []
    keys = {tag_key(n): n for n in names}
    existing = {
        t.name_lower: t
        for t in (await session.scalars(select(Tag).where(Tag.name_lower.in_(keys)))).all()
    }
    for key, name in keys.items():
        if key in existing:
            continue
        try:
            async with session.begin_nested():
                tag = Tag(name=name, name_lower=key)
                session.add(tag)
                await session.flush()
            existing[key] = tag
        except IntegrityError:
            existing[key] = (await session.scalars(select(Tag).where(Tag.name_lower == key))).one()
    return [existing[k] for k in keys]
