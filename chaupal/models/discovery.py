"""Discovery (issue 5): dismissed follow suggestions, moderator review of trends, and the trend
scores the `trends_refresh` job stores (one row per kind, language and item)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chaupal.db import Base, utcnow
from chaupal.lib.ids import new_id

TREND_KINDS = ("tag", "link", "status")


class SuggestionDismissal(Base):
    """`DELETE /api/v1/suggestions/:id`: never suggest `target` to `account` again."""

    __tablename__ = "suggestion_dismissals"
    __table_args__ = (UniqueConstraint("account_id", "target_account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    target_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrendReview(Base):
    """A moderator's decision on a tag, link or status: `trendable` true (approved) or false
    (rejected). No row means "not reviewed yet" (Mastodon's `requires_review`)."""

    __tablename__ = "trend_reviews"
    __table_args__ = (UniqueConstraint("kind", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(8))  # tag | link | status
    item_id: Mapped[int] = mapped_column()  # tags.id, statuses.id, or a link's URL hash
    trendable: Mapped[bool] = mapped_column(Boolean)
    reviewed_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrendScore(Base):
    """One item's decayed score at the last refresh; `language` "" is the all-languages list."""

    __tablename__ = "trend_scores"
    __table_args__ = (
        UniqueConstraint("kind", "language", "item_id"),
        Index("ix_trend_scores_rank", "kind", "language", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(16), default="")
    item_id: Mapped[int] = mapped_column()
    score: Mapped[float] = mapped_column(Float)
    accounts: Mapped[int] = mapped_column(default=0)  # distinct accounts in the window
    uses: Mapped[int] = mapped_column(default=0)  # statuses (or interactions) in the window
    url: Mapped[str | None] = mapped_column(String(2048), default=None)  # links only
    history: Mapped[list[Any]] = mapped_column(default=list)  # links: [{day, uses, accounts}]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
