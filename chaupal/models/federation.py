"""Federation (ActivityPub, issue 7): operator policy per remote domain, users' own domain
blocks, the health of each remote server we deliver to, tombstones of deleted remote objects,
and the ids of inbox activities already processed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chaupal.db import Base, utcnow
from chaupal.lib.ids import new_id

# Mastodon's domain-block severities: silence hides the domain's accounts from public
# timelines and non-followers; suspend refuses everything and removes what we hold.
DOMAIN_BLOCK_SEVERITIES = ("noop", "silence", "suspend")


class DomainBlock(Base):
    """An operator's block of a remote domain (Mastodon's admin DomainBlock)."""

    __tablename__ = "domain_blocks"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    domain: Mapped[str] = mapped_column(String(255), unique=True)  # normalised host
    severity: Mapped[str] = mapped_column(String(16), default="silence")
    reject_media: Mapped[bool] = mapped_column(Boolean, default=False)
    reject_reports: Mapped[bool] = mapped_column(Boolean, default=False)
    private_comment: Mapped[str] = mapped_column(Text, default="")
    public_comment: Mapped[str] = mapped_column(Text, default="")
    obfuscate: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DomainAllow(Base):
    """A remote domain an allow-list instance federates with (Mastodon's admin DomainAllow)."""

    __tablename__ = "domain_allows"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountDomainBlock(Base):
    """A user's own block of a whole domain (Mastodon's /api/v1/domain_blocks)."""

    __tablename__ = "account_domain_blocks"
    __table_args__ = (UniqueConstraint("account_id", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliveryDestination(Base):
    """Health of one remote server as a delivery target, keyed by its normalised host.
    Failing since `failing_since` for longer than the unavailability window marks it
    unavailable: deliveries then wait for the rare re-probe instead of retrying."""

    __tablename__ = "delivery_destinations"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    host: Mapped[str] = mapped_column(String(255), unique=True)
    failing_since: Mapped[datetime | None] = mapped_column(default=None)
    unavailable: Mapped[bool] = mapped_column(Boolean, default=False)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
    last_failure_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    failures: Mapped[int] = mapped_column(default=0)
    deliveries: Mapped[int] = mapped_column(default=0)


class Tombstone(Base):
    """A remote object deleted before (or after) we saw it: a later `Create` or fetch of this
    URI is ignored, so a Delete that overtakes its Create still wins."""

    __tablename__ = "tombstones"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    uri: Mapped[str] = mapped_column(String(1024), unique=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedActivity(Base):
    """Ids of inbox activities already applied: the same activity delivered again (or five
    times at once) is applied once. Rows older than the retention setting are pruned."""

    __tablename__ = "processed_activities"
    __table_args__ = (Index("ix_processed_activities_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    uri: Mapped[str] = mapped_column(String(1024), unique=True)
    actor_uri: Mapped[str] = mapped_column(String(1024), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
