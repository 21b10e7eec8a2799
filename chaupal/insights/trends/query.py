"""Reading stored trends: the public lists (approved items only, unless `trends_auto_approve`,
in one language or all) and the moderators' list with every item's review state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import not_filtered_clause, visible_clause
from chaupal.config import Settings
from chaupal.insights.trends.score import ALL, language_key
from chaupal.models import Status, TrendReview, TrendScore


def trendable_clause(settings: Settings, kind: str) -> Any:
    """Approved by a moderator, or (auto-approve on) not rejected."""

    def reviewed(value: bool) -> Any:
        return exists().where(
            TrendReview.kind == kind,
            TrendReview.item_id == TrendScore.item_id,
            TrendReview.trendable.is_(value),
        )

    if settings.trends_auto_approve:
        return ~reviewed(False)
    return reviewed(True)


def request_language(param: str | None, accept_language: str | None) -> str:
    """`language` parameter first, else the preferred `Accept-Language` entry; "" for all."""
    if param:
        return language_key(param)
    best, best_q = ALL, 0.0
    for part in (accept_language or "").split(",")[:20]:
        tag, _, rest = part.strip().partition(";")
        q = 1.0
        if rest.strip().startswith("q="):
            try:
                q = float(rest.strip()[2:])
            except ValueError:
                q = 0.0
        key = language_key(tag)
        if key and q > best_q:
            best, best_q = key, q
    return best


async def public_trends(
    session: AsyncSession,
    settings: Settings,
    kind: str,
    language: str,
    *,
    offset: int,
    limit: int,
    viewer_id: int | None = None,
) -> list[TrendScore]:
    """Trending items of `kind` in `language` ("" = all), best first; statuses are also
    checked against the viewer's visibility, blocks and mutes."""
    stmt = select(TrendScore).where(
        TrendScore.kind == kind,
        TrendScore.language == language,
        trendable_clause(settings, kind),
    )
    if kind == "status":
        stmt = stmt.join(Status, Status.id == TrendScore.item_id).where(
            Status.visibility == "public",
            visible_clause(viewer_id),
            not_filtered_clause(viewer_id),
        )
    stmt = stmt.order_by(TrendScore.score.desc(), TrendScore.item_id.desc())
    return list((await session.scalars(stmt.offset(offset).limit(limit))).all())


async def review_states(
    session: AsyncSession, kind: str, item_ids: list[int]
) -> dict[int, bool]:
    """item id -> trendable, for the reviewed ones among `item_ids`."""
    if not item_ids:
        return {}
    rows = await session.execute(
        select(TrendReview.item_id, TrendReview.trendable).where(
            TrendReview.kind == kind, TrendReview.item_id.in_(item_ids)
        )
    )
    return {item: bool(value) for item, value in rows.all()}


async def admin_trends(
    session: AsyncSession, kind: str, *, offset: int, limit: int, pending_only: bool = False
) -> list[TrendScore]:
    """Every item of the all-languages list, reviewed or not (moderators' view), best first."""
    stmt = select(TrendScore).where(TrendScore.kind == kind, TrendScore.language == ALL)
    if pending_only:
        stmt = stmt.where(
            ~exists().where(
                and_(TrendReview.kind == kind, TrendReview.item_id == TrendScore.item_id)
            )
        )
    stmt = stmt.order_by(TrendScore.score.desc(), TrendScore.item_id.desc())
    return list((await session.scalars(stmt.offset(offset).limit(limit))).all())


async def stored_link(session: AsyncSession, link_id: int) -> TrendScore | None:
    """The all-languages row of a stored link (for review by ID)."""
    return await session.scalar(
        select(TrendScore)
        .where(TrendScore.kind == "link", TrendScore.item_id == link_id)
        .order_by(TrendScore.language)
        .limit(1)
    )
