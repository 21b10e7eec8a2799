"""Durable background jobs: a row committed with the write that caused it (transactional
outbox), claimed by the runner, retried with backoff, kept visible when it fails."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from chaupal.db import Base, utcnow
from chaupal.lib.ids import new_id

JOB_STATES = ("queued", "running", "done", "failed")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        # The runner's claim query: due queued jobs in order.
        Index(
            "ix_jobs_due",
            "run_at",
            postgresql_where=text("state = 'queued'"),
            sqlite_where=text("state = 'queued'"),
        ),
        Index("ix_jobs_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(64))  # handler name, e.g. "publish_scheduled"
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=10)
    locked_by: Mapped[str | None] = mapped_column(String(128), default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # A key makes enqueueing idempotent while a job with it is queued (e.g. a daily rollup).
    dedupe_key: Mapped[str | None] = mapped_column(String(255), default=None, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class ScheduledStatus(Base):
    """A post not yet published: scheduled for later (Mastodon's ScheduledStatus) and/or
    waiting for another staff member's approval (draft → approved → published)."""

    __tablename__ = "scheduled_statuses"
    __table_args__ = (Index("ix_scheduled_statuses_account", "account_id", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # The user who wrote it (a staff member when the account is an institution).
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("oauth_applications.id", ondelete="SET NULL"), default=None
    )
    scheduled_at: Mapped[datetime | None] = mapped_column(default=None)  # None: publish on approval
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the create-status parameters
    media_ids: Mapped[list[Any]] = mapped_column(default=list)
    # scheduled | pending_approval | published | rejected | failed
    state: Mapped[str] = mapped_column(String(24), default="scheduled")
    approved_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    status_id: Mapped[int | None] = mapped_column(
        ForeignKey("statuses.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
