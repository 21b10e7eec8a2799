"""Insights derived from statuses: the sentiment label (and detected language, question flag)
of every public or unlisted post, written in the posting transaction (reaction monitor)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from chaupal.db import Base, utcnow

SENTIMENT_LABELS = ("negative", "neutral", "positive")


class StatusSentiment(Base):
    """One row per labelled status; an edit re-labels it in place."""

    __tablename__ = "status_sentiments"

    status_id: Mapped[int] = mapped_column(
        ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(String(8))  # negative | neutral | positive
    language_detected: Mapped[str] = mapped_column(String(16))  # en | hi | hi-Latn | und
    is_question: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # when labelled
