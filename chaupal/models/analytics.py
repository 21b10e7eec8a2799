"""Engagement analytics (issue 5): the unfollow log (unfollows leave no other row), per-status
open counts, per-day rollups per account and per post, and the rollup job's bookkeeping."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from chaupal.db import Base, utcnow
from chaupal.lib.ids import new_id

ACCOUNT_EVENT_KINDS = ("unfollow",)


class AccountEvent(Base):
    """Append-only log of relationship changes that delete their row: `unfollow` (also a
    block or a removal from followers) keeps when the follow began, so past days stay exact."""

    __tablename__ = "account_events"
    __table_args__ = (
        Index("ix_account_events_account", "account_id", "at"),
        Index("ix_account_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))  # followed
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[str] = mapped_column(String(16))  # one of ACCOUNT_EVENT_KINDS
    at: Mapped[datetime] = mapped_column(default=utcnow)
    followed_at: Mapped[datetime | None] = mapped_column(default=None)


class StatusOpen(Base):
    """How many times a status was opened (API or web thread) by anyone but its author, per
    UTC day; counted in memory and added here in batches."""

    __tablename__ = "status_opens"
    __table_args__ = (Index("ix_status_opens_day", "day"),)

    status_id: Mapped[int] = mapped_column(
        ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))  # author
    opens: Mapped[int] = mapped_column(default=0)


class AccountDaily(Base):
    """One account's numbers for one UTC day (rows only for days with something to count)."""

    __tablename__ = "analytics_account_daily"
    __table_args__ = (Index("ix_analytics_account_daily_day", "day"),)

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    posts: Mapped[int] = mapped_column(default=0)
    replies: Mapped[int] = mapped_column(default=0)  # received, from other accounts
    reposts: Mapped[int] = mapped_column(default=0)
    favourites: Mapped[int] = mapped_column(default=0)
    mentions: Mapped[int] = mapped_column(default=0)
    new_followers: Mapped[int] = mapped_column(default=0)
    unfollows: Mapped[int] = mapped_column(default=0)
    followers: Mapped[int] = mapped_column(default=0)  # at the end of the day
    reach: Mapped[int] = mapped_column(default=0)  # home timelines the day's posts reached
    opens: Mapped[int] = mapped_column(default=0)


class PostDaily(Base):
    """One status's numbers for one UTC day; `reach` is set on the day it was posted."""

    __tablename__ = "analytics_post_daily"
    __table_args__ = (
        Index("ix_analytics_post_daily_account", "account_id", "day"),
        Index("ix_analytics_post_daily_day", "day"),
    )

    status_id: Mapped[int] = mapped_column(
        ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    replies: Mapped[int] = mapped_column(default=0)
    reposts: Mapped[int] = mapped_column(default=0)
    favourites: Mapped[int] = mapped_column(default=0)
    opens: Mapped[int] = mapped_column(default=0)
    reach: Mapped[int] = mapped_column(default=0)


class AnalyticsDay(Base):
    """A day the rollup job has rolled up; `final` once it was rolled after the grace period
    (later changes to it arrive as AnalyticsDirtyDay marks)."""

    __tablename__ = "analytics_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    rolled_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnalyticsDirtyDay(Base):
    """A late change to `day` (an unfollow of a follow begun then, a backdated import): the next
    rollup re-rolls the day and deletes the mark. Several marks for one day are fine."""

    __tablename__ = "analytics_dirty_days"
    __table_args__ = (Index("ix_analytics_dirty_days_day", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
