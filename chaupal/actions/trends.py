"""Trend writes: store a refresh's scores (replacing the previous ones) and record a moderator's
approval or rejection of a tag, link or status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.insights.trends.compute import Trends, compute_trends
from chaupal.insights.trends.score import ItemScore
from chaupal.models import TrendReview, TrendScore
from chaupal.models.discovery import TREND_KINDS


def _top(scores: dict[tuple[int, str], ItemScore], kept: int) -> list[tuple[int, str, ItemScore]]:
    """The `kept` best items of each language, best first (ties by item id, newest first)."""
    by_language: dict[str, list[tuple[int, str, ItemScore]]] = {}
    for (item, language), entry in scores.items():
        by_language.setdefault(language, []).append((item, language, entry))
    out: list[tuple[int, str, ItemScore]] = []
    for rows in by_language.values():
        rows.sort(key=lambda r: (-r[2].score, -r[0]))
        out += rows[:kept]
    return out


async def do_store_trends(
    session: AsyncSession, settings: Settings, trends: Trends, now: datetime
) -> int:
    """Replace every stored score with `trends`; returns the number of rows written."""
    await session.execute(delete(TrendScore))
    rows: list[TrendScore] = []
    for kind, scores in (("tag", trends.tags), ("link", trends.links), ("status", trends.statuses)):
        for item, language, entry in _top(scores, settings.trends_kept):
            rows.append(
                TrendScore(
                    kind=kind,
                    language=language,
                    item_id=item,
                    score=entry.score,
                    accounts=entry.accounts,
                    uses=entry.uses,
                    url=trends.link_urls.get(item) if kind == "link" else None,
                    history=trends.link_history.get(item, []) if kind == "link" else [],
                    computed_at=now,
                )
            )
    session.add_all(rows)
    await session.flush()
    return len(rows)


async def do_refresh_trends(
    session: AsyncSession, settings: Settings, now: datetime | None = None
) -> int:
    """Compute the trends at `now` and store them (the `trends_refresh` job)."""
    now = now or utcnow()
    return await do_store_trends(session, settings, await compute_trends(session, settings, now), now)


async def do_review_trend(
    session: AsyncSession, kind: str, item_id: int, trendable: bool, reviewer_id: int | None
) -> TrendReview:
    """Approve (`trendable`) or reject an item; a later review replaces an earlier one."""
    if kind not in TREND_KINDS:
        raise ValueError(f"unknown trend kind {kind!r}")
    review = await session.scalar(
        select(TrendReview).where(TrendReview.kind == kind, TrendReview.item_id == item_id)
    )
    if review is None:
        try:
            async with session.begin_nested():  # a concurrent first review of the same item wins
                review = TrendReview(kind=kind, item_id=item_id, trendable=trendable)
                session.add(review)
        except IntegrityError:
            review = await session.scalar(
                select(TrendReview).where(TrendReview.kind == kind, TrendReview.item_id == item_id)
            )
            assert review is not None
    review.trendable = trendable
    review.reviewed_by_account_id = reviewer_id
    review.reviewed_at = utcnow()
    await session.flush()
    return review
