"""Gather trend uses from the database (a bounded scan of the window's newest public statuses)
and score them: hashtags and links by the accounts that post them, statuses by the accounts that
favourite, boost or reply to them. No network access: links are counted from status text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from chaupal.config import Settings
from chaupal.federation.policy import not_silenced
from chaupal.insights.trends.score import (
    ItemScore,
    Use,
    daily_history,
    link_id,
    normalize_url,
    score_uses,
)
from chaupal.lib.ids import id_floor, id_time
from chaupal.lib.text import parse
from chaupal.models import Account, Favourite, Status, StatusTag

HISTORY_DAYS = 7  # days of `history` Mastodon shows


@dataclass
class Trends:
    """Scores per kind: {(item, language): ItemScore}; link URLs and histories by link id."""

    tags: dict[tuple[int, str], ItemScore] = field(default_factory=dict)
    links: dict[tuple[int, str], ItemScore] = field(default_factory=dict)
    statuses: dict[tuple[int, str], ItemScore] = field(default_factory=dict)
    link_urls: dict[int, str] = field(default_factory=dict)
    link_history: dict[int, list[dict[str, str]]] = field(default_factory=dict)


def _author_ok(status: Any = Status) -> Any:
    """Public, original, by a discoverable account that is not suspended nor on a domain the
    operator silenced."""
    return and_(
        status.visibility == "public",
        status.reblog_of_id.is_(None),
        not_silenced(status.account_id),
        exists().where(
            Account.id == status.account_id,
            Account.suspended_at.is_(None),
            Account.discoverable.is_(True),
        ),
    )


def _recent(settings: Settings, now: datetime) -> Any:
    """IDs of the newest `trends_max_statuses` eligible statuses of the window."""
    since = id_floor(now - timedelta(days=settings.trends_window_days))
    until = id_floor(now + timedelta(seconds=1))
    return (
        select(Status.id)
        .where(Status.id >= since, Status.id < until, _author_ok())
        .order_by(Status.id.desc())
        .limit(settings.trends_max_statuses)
    )


async def tag_uses(session: AsyncSession, settings: Settings, now: datetime) -> list[Use]:
    recent = _recent(settings, now).subquery()
    rows = await session.execute(
        select(StatusTag.tag_id, Status.account_id, Status.language, Status.id)
        .join(Status, Status.id == StatusTag.status_id)
        .where(Status.id.in_(select(recent.c.id)))
    )
    return [Use(tag, account, lang or "", id_time(sid)) for tag, account, lang, sid in rows.all()]


async def link_uses(
    session: AsyncSession, settings: Settings, now: datetime
) -> tuple[list[Use], dict[int, str]]:
    recent = _recent(settings, now).where(Status.text.contains("http")).subquery()
    rows = await session.execute(
        select(Status.id, Status.account_id, Status.language, Status.text).where(
            Status.id.in_(select(recent.c.id))
        )
    )
    uses: list[Use] = []
    urls: dict[int, str] = {}
    for sid, account, lang, text in rows.all():
        seen: set[int] = set()
        for raw in parse(text).urls:
            url = normalize_url(raw)
            if url is None or len(url) > 2048:
                continue
            lid = link_id(url)
            if lid in seen:
                continue
            seen.add(lid)
            urls[lid] = url
            uses.append(Use(lid, account, lang or "", id_time(sid)))
    return uses, urls


async def status_uses(session: AsyncSession, settings: Settings, now: datetime) -> list[Use]:
    """Favourites, boosts and replies by accounts other than the author, on eligible originals
    (public, not a reply, not sensitive, no content warning) of the window."""
    since = id_floor(now - timedelta(days=settings.trends_window_days))
    original = aliased(Status)
    eligible = and_(
        original.id >= since,
        _author_ok(original),
        original.in_reply_to_id.is_(None),
        original.sensitive.is_(False),
        original.spoiler_text == "",
    )
    limit = settings.trends_max_statuses
    uses: list[Use] = []
    favs = await session.execute(
        select(original.id, Favourite.account_id, original.language, Favourite.created_at)
        .join(Favourite, Favourite.status_id == original.id)
        .where(eligible, Favourite.account_id != original.account_id, Favourite.created_at <= now)
        .order_by(Favourite.id.desc())
        .limit(limit)
    )
    uses += [Use(sid, acc, lang or "", at) for sid, acc, lang, at in favs.all()]
    until = id_floor(now + timedelta(seconds=1))
    for link in (Status.reblog_of_id, Status.in_reply_to_id):
        rows = await session.execute(
            select(original.id, Status.account_id, original.language, Status.id)
            .join(Status, link == original.id)
            .where(eligible, Status.account_id != original.account_id, Status.id < until)
            .order_by(Status.id.desc())
            .limit(limit)
        )
        uses += [Use(sid, acc, lang or "", id_time(at)) for sid, acc, lang, at in rows.all()]
    return uses


async def compute_trends(session: AsyncSession, settings: Settings, now: datetime) -> Trends:
    """Every kind's scores at `now` (reads only)."""
    half, least = settings.trends_half_life_hours, settings.trends_min_accounts
    links, urls = await link_uses(session, settings, now)
    out = Trends(
        tags=score_uses(await tag_uses(session, settings, now), now, half, least),
        links=score_uses(links, now, half, least),
        statuses=score_uses(await status_uses(session, settings, now), now, half, least),
    )
    kept = {item for item, _ in out.links}
    out.link_urls = {lid: url for lid, url in urls.items() if lid in kept}
    history = daily_history((u for u in links if u.item in kept), now, HISTORY_DAYS)
    out.link_history = history
    return out
