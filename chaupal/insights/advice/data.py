"""Loading what advice is computed from: the account's top-level posts (its own Chaupal posts
and imported ones) with engagement, media kind, hashtags, length, thread flag, and the audience
(followers) each post had when it was published."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.models import (
    Account,
    AccountEvent,
    Follow,
    ImportedPost,
    MediaAttachment,
    Status,
    StatusTag,
    Tag,
)

DAY_MS = 86_400_000
ID_DAY = DAY_MS << 16  # snowflake ids: milliseconds in the high bits (chaupal.lib.ids)
MAX_UNFOLLOWS = 100_000  # unfollow log rows read to rebuild past follower counts
MEDIA_OF_TYPE = {"image": "photo", "video": "video", "gifv": "video"}


@dataclass
class Post:
    id: int
    at: datetime  # UTC
    source: str  # chaupal | x
    engagement: int  # favourites + reposts + replies from others (X: favourites + reposts)
    audience: float | None  # followers when it was posted, if known
    media: str = "text"  # text | photo | video
    tags: list[str] = field(default_factory=list)  # lower-case names
    length: int = 0  # characters of text
    thread: bool = False  # the account continued it with its own replies


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


async def load_posts(session: AsyncSession, settings: Settings, account: Account) -> list[Post]:
    """The newest `advice_max_posts` top-level public/unlisted posts, oldest first."""
    imported = ImportedPost
    rows = (
        await session.execute(
            select(
                Status.id, Status.created_at, Status.text, Status.favourites_count,
                Status.reblogs_count, Status.replies_count,
                imported.media_kind, imported.favourites, imported.reposts, imported.replies,
                imported.followers_at_time, imported.source,
            )
            .outerjoin(imported, imported.status_id == Status.id)
            .where(
                Status.account_id == account.id,
                Status.reblog_of_id.is_(None),
                Status.in_reply_to_id.is_(None),
                Status.visibility.in_(("public", "unlisted")),
                imported.reply_to_source_id.is_(None),  # an imported reply to someone else
            )
            .order_by(Status.id.desc())
            .limit(settings.advice_max_posts)
        )
    ).all()
    ids = [r.id for r in rows]
    own_replies = await _own_replies(session, account.id, ids)
    media = await _media(session, ids)
    tags = await _tags(session, ids)
    followers = await FollowerHistory.load(session, account.id)
    posts = []
    for r in reversed(rows):
        at = _aware(r.created_at)
        if r.source is not None:
            engagement = r.favourites + r.reposts + (r.replies or 0)
            audience = float(r.followers_at_time) if r.followers_at_time else None
            kind = r.media_kind
        else:
            others = max(0, r.replies_count - own_replies.get(r.id, 0))
            engagement = r.favourites_count + r.reblogs_count + others
            audience = followers.at(r.id)
            kind = media.get(r.id, "text")
        posts.append(
            Post(r.id, at, r.source or "chaupal", engagement, audience, kind,
                 tags.get(r.id, []), len(r.text or ""), r.id in own_replies)
        )
    return posts


async def _own_replies(session: AsyncSession, account_id: int, ids: list[int]) -> dict[int, int]:
    """How many of the account's own replies each of `ids` has (those start a thread)."""
    out: dict[int, int] = {}
    for chunk in _chunks(ids):
        rows = await session.execute(
            select(Status.in_reply_to_id, func.count())
            .where(Status.account_id == account_id, Status.in_reply_to_id.in_(chunk))
            .group_by(Status.in_reply_to_id)
        )
        out.update({parent: n for parent, n in rows.all()})
    return out


async def _media(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in _chunks(ids):
        rows = await session.execute(
            select(MediaAttachment.status_id, MediaAttachment.type).where(
                MediaAttachment.status_id.in_(chunk)
            )
        )
        for status_id, kind in rows.all():
            mapped = MEDIA_OF_TYPE.get(kind, "text")
            if out.get(status_id) != "video":  # a video anywhere makes it a video post
                out[status_id] = mapped if mapped != "text" else out.get(status_id, "text")
    return out


async def _tags(session: AsyncSession, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for chunk in _chunks(ids):
        rows = await session.execute(
            select(StatusTag.status_id, Tag.name_lower)
            .join(Tag, Tag.id == StatusTag.tag_id)
            .where(StatusTag.status_id.in_(chunk))
        )
        for status_id, name in rows.all():
            out.setdefault(status_id, []).append(name)
    return out


def _chunks(ids: list[int], size: int = 900) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


class FollowerHistory:
    """Followers of an account at any past moment, by UTC day: today's follows counted by the
    day their id was made, plus follows that have since ended (the unfollow log)."""

    def __init__(self, days: list[int], counts: list[int]) -> None:
        self.days, self.counts = days, counts

    @classmethod
    async def load(cls, session: AsyncSession, account_id: int) -> FollowerHistory:
        day = Follow.id // ID_DAY
        delta: dict[int, int] = {}
        rows = await session.execute(
            select(day, func.count()).where(Follow.target_account_id == account_id).group_by(day)
        )
        for d, n in rows.all():
            delta[int(d)] = delta.get(int(d), 0) + int(n)
        ended = await session.execute(
            select(AccountEvent.followed_at, AccountEvent.at)
            .where(AccountEvent.account_id == account_id, AccountEvent.kind == "unfollow",
                   AccountEvent.followed_at.is_not(None))
            .limit(MAX_UNFOLLOWS)
        )
        for began, end in ended.all():
            for at, sign in ((began, 1), (end, -1)):
                d = int(_aware(at).timestamp() * 1000) // DAY_MS
                delta[d] = delta.get(d, 0) + sign
        days = sorted(delta)
        counts, total = [], 0
        for d in days:
            total += delta[d]
            counts.append(total)
        return cls(days, counts)

    def at(self, status_id: int) -> float | None:
        """Followers at the end of the day before the post's day (None before any follower)."""
        d = (status_id >> 16) // DAY_MS
        i = bisect.bisect_left(self.days, d) - 1
        if i < 0:
            return None
        return float(self.counts[i]) if self.counts[i] > 0 else None
