"""Writing an imported archive as an account's history: one status per tweet at its original
time (backdated snowflake ids), hashtags linked, own threads re-threaded, the media kind and
engagement kept in imported_posts. Idempotent per source id; flushes, never commits."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions import audit
from chaupal.actions.counters import bump
from chaupal.actions.status_text import get_or_create_tags
from chaupal.config import Settings
from chaupal.errors import ApiError
from chaupal.importers.x_archive import XTweet
from chaupal.lib.ids import new_id
from chaupal.lib.text import normalize, parse, render_html, tag_key
from chaupal.models import Account, AnalyticsDirtyDay, ImportedPost, Status, StatusTag

FLUSH_EVERY = 500


@dataclass
class ImportReport:
    imported: int = 0
    already_imported: int = 0
    retweets_skipped: int = 0
    thread_replies: int = 0  # replies to the account's own tweets, threaded here
    replies_to_others: int = 0  # kept as replies without a parent (recorded in imported_posts)

    def summary(self) -> str:
        return (
            f"imported {self.imported} posts ({self.thread_replies} in threads, "
            f"{self.replies_to_others} replies to others); skipped {self.already_imported} "
            f"already imported and {self.retweets_skipped} retweets"
        )


def _strip_reply_prefix(text: str, username: str | None) -> str:
    """A self-thread reply starts with '@own_name ': X hides it, and so do we."""
    if not username:
        return text
    return re.sub(rf"^(?:@{re.escape(username)}\s+)+", "", text, flags=re.IGNORECASE)


async def do_import_x_tweets(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    tweets: Sequence[XTweet],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store `tweets` (oldest first) as `account`'s statuses; already imported ids are skipped."""
    if not account.local or account.suspended_at is not None:
        raise ApiError(422, "Only a local, active account can receive an imported archive")
    report = ImportReport()
    known: dict[str, tuple[int, int]] = {}  # source id -> (status id, conversation id)
    rows = await session.execute(
        select(ImportedPost.source_id, Status.id, Status.conversation_id)
        .join(Status, Status.id == ImportedPost.status_id)
        .where(ImportedPost.account_id == account.id, ImportedPost.source == "x")
    )
    for source_id, status_id, conversation_id in rows.all():
        known[source_id] = (status_id, conversation_id or status_id)
    days: set[date] = set()
    tag_ids: dict[str, int] = {}  # tag key -> id, so each tag is looked up once
    pending: list[Any] = []  # rows that refer to statuses not flushed yet
    newest = account.last_status_at
    for n, tweet in enumerate(tweets, 1):
        if tweet.id in known:
            report.already_imported += 1
        elif tweet.retweet:
            report.retweets_skipped += 1
        else:
            pending += await _add_tweet(session, settings, account, tweet, known, report, tag_ids)
            days.add(tweet.created_at.date())
            if newest is None or newest < tweet.created_at:
                newest = tweet.created_at
        if n % FLUSH_EVERY == 0:
            await _flush(session, pending)
        if progress is not None:
            progress(1)
    await _flush(session, pending)
    if report.imported:
        await bump(
            session, Account, account.id, statuses_count=report.imported,
            **({"last_status_at": newest} if newest != account.last_status_at else {}),
        )
        session.add_all([AnalyticsDirtyDay(day=d) for d in sorted(days)])  # rollups re-count them
        audit.record(session, account.id, "import.x_archive", "account", account.id,
                     imported=report.imported)
        await session.flush()
    return report


async def _add_tweet(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    tweet: XTweet,
    known: dict[str, tuple[int, int]],
    report: ImportReport,
    tag_ids: dict[str, int],
) -> list[Any]:
    """Add the status; returns its imported_posts and status_tags rows, to add once it is flushed."""
    parent = known.get(tweet.reply_to_id) if tweet.reply_to_id else None
    text = normalize(_strip_reply_prefix(tweet.text, tweet.reply_to_username) if parent else tweet.text)
    parsed = parse(text)
    sid = new_id(tweet.created_at)
    conversation = parent[1] if parent else sid
    session.add(
        Status(
            id=sid,
            account_id=account.id,
            uri=f"{settings.base_url}/users/{account.username}/statuses/{sid}",
            url=f"{settings.base_url}/@{account.username}/{sid}",
            text=text,
            content=render_html(parsed, base_url=settings.base_url, mention_url={}),
            visibility="public",
            language=tweet.language,
            in_reply_to_id=parent[0] if parent else None,
            in_reply_to_account_id=account.id if parent else None,
            conversation_id=conversation,
            local=True,
            created_at=tweet.created_at,
        )
    )
    other = tweet.reply_to_id is not None and parent is None
    rows: list[Any] = [
        ImportedPost(
            status_id=sid,
            account_id=account.id,
            source="x",
            source_id=tweet.id,
            media_kind=tweet.media_kind,
            favourites=tweet.favourites,
            reposts=tweet.reposts,
            reply_to_source_id=tweet.reply_to_id if other else None,
            reply_to_username=(tweet.reply_to_username or "")[:64] or None if other else None,
        )
    ]
    names = {tag_key(n): n for n in [*parsed.tags, *tweet.hashtags] if len(n) <= settings.max_hashtag_chars}
    missing = [name for key, name in names.items() if key not in tag_ids]
    if missing:
        tag_ids.update({t.name_lower: t.id for t in await get_or_create_tags(session, missing)})
    rows += [StatusTag(status_id=sid, tag_id=tag_ids[key]) for key in names]
    known[tweet.id] = (sid, conversation)
    report.imported += 1
    report.thread_replies += parent is not None
    report.replies_to_others += other
    return rows


async def _flush(session: AsyncSession, pending: list[Any]) -> None:
    """Statuses first, then the rows that point at them (no ORM relationship orders them)."""
    await session.flush()
    session.add_all(pending)
    await session.flush()
    pending.clear()
