"""Media attachments: uploaded images and videos, owned by their uploader, attached to at most
one status. Files live in the media storage under random names; rows hold their keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chaupal.db import Base, utcnow
from chaupal.lib.ids import new_id

MEDIA_TYPES = ("image", "gifv", "video", "unknown")
PROCESSING_STATES = ("processing", "done", "failed")


class MediaAttachment(Base):
    __tablename__ = "media_attachments"
    __table_args__ = (
        Index("ix_media_attachments_status", "status_id", "position"),
        Index("ix_media_attachments_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # SET NULL: a deleted status leaves its media unattached, so delete-and-redraft can reuse
    # them; the unattached-media cleanup removes them (rows and files) after the TTL.
    status_id: Mapped[int | None] = mapped_column(
        ForeignKey("statuses.id", ondelete="SET NULL"), default=None
    )
    position: Mapped[int] = mapped_column(default=0)  # order within the status (media_ids order)
    type: Mapped[str] = mapped_column(String(16), default="unknown")
    file_path: Mapped[str | None] = mapped_column(String(255), default=None)  # storage key
    thumbnail_path: Mapped[str | None] = mapped_column(String(255), default=None)
    content_type: Mapped[str] = mapped_column(String(64), default="application/octet-stream")
    file_size: Mapped[int] = mapped_column(BigInteger, default=0)
    description: Mapped[str | None] = mapped_column(Text, default=None)  # alt text
    focus_x: Mapped[float] = mapped_column(Float, default=0.0)
    focus_y: Mapped[float] = mapped_column(Float, default=0.0)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    blurhash: Mapped[str | None] = mapped_column(String(255), default=None)
    processing: Mapped[str] = mapped_column(String(16), default="done")
    # A remote attachment's original URL (issue 7); its file is fetched and cached through the
    # same media pipeline on first need, or never when the domain's media are rejected.
    remote_url: Mapped[str | None] = mapped_column(String(1024), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
