"""Government presence (issue 4): institution profiles and their hierarchy, offices and
their holders, verification history, impersonation flags, staff memberships and the audit
trail of what staff did as an institution."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chaupal.db import Base, utcnow
from chaupal.lib.ids import new_id

# ministry, department, office (e.g. the PMO), agency, embassy, state_government ...
INSTITUTION_CATEGORIES = (
    "government",
    "ministry",
    "department",
    "office",
    "agency",
    "embassy",
    "state_government",
    "legislature",
    "court",
    "other",
)
JURISDICTION_LEVELS = ("country", "state", "district", "city")
# What a person holding an office is, for leaderboards ("heads of government", "ministers").
OFFICE_ROLES = ("head_of_state", "head_of_government", "minister", "official", "other")
MEMBER_ROLES = ("owner", "editor", "analyst")
FLAG_KINDS = ("impersonation", "report")  # report: a Flag from another server (issue 7)


class InstitutionProfile(Base):
    """The institution-only facts of an account whose kind is `institution`."""

    __tablename__ = "institution_profiles"
    __table_args__ = (Index("ix_institution_profiles_parent", "parent_account_id"),)

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(32), default="other")
    parent_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    jurisdiction_level: Mapped[str] = mapped_column(String(16), default="country")
    jurisdiction: Mapped[str] = mapped_column(String(128), default="")  # "India", "Kerala" ...
    # Editors' posts wait for another member's approval before they are published.
    require_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OfficeHolding(Base):
    """A person account holding an office account (the PM and the PMO) for a tenure."""

    __tablename__ = "office_holdings"
    __table_args__ = (
        Index("ix_office_holdings_office", "office_account_id", "started_on"),
        Index("ix_office_holdings_holder", "holder_account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    office_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    holder_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(255), default="")  # "Prime Minister of India"
    role: Mapped[str] = mapped_column(String(32), default="official")  # one of OFFICE_ROLES
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date, default=None)  # None: holds it now
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VerificationEvent(Base):
    """Every grant and revocation of verification: who, when, what, and the evidence."""

    __tablename__ = "verification_events"
    __table_args__ = (Index("ix_verification_events_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))  # grant | revoke
    verification: Mapped[str | None] = mapped_column(String(16), default=None)
    evidence: Mapped[str] = mapped_column(Text, default="")
    moderator_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModerationFlag(Base):
    """Something moderators should look at, e.g. a handle imitating a verified account."""

    __tablename__ = "moderation_flags"
    __table_args__ = (Index("ix_moderation_flags_open", "resolved_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # one of FLAG_KINDS
    # The verified account imitated, and what matched (field, values, skeleton).
    related_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )


class InstitutionMember(Base):
    """A staff user's role in an institution account (owner, editor, analyst)."""

    __tablename__ = "institution_members"
    __table_args__ = (
        UniqueConstraint("institution_account_id", "user_id"),
        Index("ix_institution_members_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    institution_account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # one of MEMBER_ROLES
    added_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """One thing a staff member did as an institution; owners read and export these."""

    __tablename__ = "institution_audit_log"
    __table_args__ = (Index("ix_institution_audit_log_institution", "institution_account_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    institution_account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE")
    )
    # Kept when the staff member leaves: the record must outlive the membership.
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    staff_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    staff_username: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64))  # status.create, follow.create, member.add ...
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[int | None] = mapped_column(default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExpectedEntity(Base):
    """An entity the operator declared should be present (`chaupal gov import FILE`)."""

    __tablename__ = "gov_expected_entities"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(128), unique=True)  # stable id from the YAML file
    name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(32), default="ministry")
    parent_key: Mapped[str | None] = mapped_column(String(128), default=None)
    jurisdiction: Mapped[str] = mapped_column(String(128), default="")
    expected_username: Mapped[str | None] = mapped_column(String(64), default=None)
    source: Mapped[str] = mapped_column(String(255), default="")  # file it came from
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowerSnapshot(Base):
    """An account's follower count at the end of a day (leaderboard ranks and growth)."""

    __tablename__ = "follower_snapshots"
    __table_args__ = (Index("ix_follower_snapshots_day", "day"),)

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    followers_count: Mapped[int] = mapped_column(default=0)


class ExternalPresence(Base):
    """An institution's declared presence on another platform (X, YouTube ...)."""

    __tablename__ = "external_presences"
    __table_args__ = (UniqueConstraint("account_id", "platform", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000))
    verified_at: Mapped[datetime | None] = mapped_column(default=None)  # rel="me" back-link
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExternalAudience(Base):
    """An audience figure recorded for an external presence, with its date and source."""

    __tablename__ = "external_audience"
    __table_args__ = (Index("ix_external_audience_presence", "presence_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    presence_id: Mapped[int] = mapped_column(ForeignKey("external_presences.id", ondelete="CASCADE"))
    as_of: Mapped[date] = mapped_column(Date)
    followers: Mapped[int] = mapped_column()
    source: Mapped[str] = mapped_column(String(500))
    recorded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
