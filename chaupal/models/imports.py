"""Posts imported from another platform's archive (an X/Twitter export): where each came from,
its media kind (media are recorded, not downloaded) and the engagement it had there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chaupal.db import Base, utcnow

IMPORT_SOURCES = ("x",)
MEDIA_KINDS = ("text", "photo", "video")


class ImportedPost(Base):
    """One imported status; re-importing the same archive skips `(account_id, source, source_id)`."""

    __tablename__ = "imported_posts"
    __table_args__ = (
        UniqueConstraint("account_id", "source", "source_id"),
        Index("ix_imported_posts_account", "account_id", "status_id"),
    )

    status_id: Mapped[int] = mapped_column(
        ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))  # one of IMPORT_SOURCES
    source_id: Mapped[str] = mapped_column(String(32))  # the tweet's id_str
    media_kind: Mapped[str] = mapped_column(String(8), default="text")  # one of MEDIA_KINDS
    favourites: Mapped[int] = mapped_column(default=0)
    reposts: Mapped[int] = mapped_column(default=0)
    replies: Mapped[int | None] = mapped_column(default=None)  # X's archive does not record it
    followers_at_time: Mapped[int | None] = mapped_column(default=None)  # when the source knew it
    # A reply to someone else's post there (not imported, so the status has no parent here).
    reply_to_source_id: Mapped[str | None] = mapped_column(String(32), default=None)
    reply_to_username: Mapped[str | None] = mapped_column(String(64), default=None)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
