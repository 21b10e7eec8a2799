"""Relationships between accounts: follows, follow requests, blocks and mutes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chaupal.db import Base, utcnow
from chaupal.lib.ids import new_id


class _Edge:
    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    target_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Follow(_Edge, Base):
    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("account_id", "target_account_id"),
        Index("ix_follows_target", "target_account_id", "id"),
    )
    # The ActivityPub Follow activity's id, so a remote Accept/Reject/Undo finds it (issue 7).
    uri: Mapped[str | None] = mapped_column(String(1024), default=None)
    show_reblogs: Mapped[bool] = mapped_column(Boolean, default=True)
    notify: Mapped[bool] = mapped_column(Boolean, default=False)
    languages: Mapped[list[Any] | None] = mapped_column(default=None)


class FollowRequest(_Edge, Base):
    __tablename__ = "follow_requests"
    __table_args__ = (
        UniqueConstraint("account_id", "target_account_id"),
        Index("ix_follow_requests_target", "target_account_id", "id"),
    )
    uri: Mapped[str | None] = mapped_column(String(1024), default=None)
    show_reblogs: Mapped[bool] = mapped_column(Boolean, default=True)
    notify: Mapped[bool] = mapped_column(Boolean, default=False)
    languages: Mapped[list[Any] | None] = mapped_column(default=None)


class Block(_Edge, Base):
    __tablename__ = "blocks"
    __table_args__ = (
        UniqueConstraint("account_id", "target_account_id"),
        Index("ix_blocks_target", "target_account_id"),
    )


class Mute(_Edge, Base):
    __tablename__ = "mutes"
    __table_args__ = (UniqueConstraint("account_id", "target_account_id"),)
    hide_notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
