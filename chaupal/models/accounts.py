"""Accounts (the public profile, local or remote) and users (a local login behind an account)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from chaupal.db import Base, utcnow
from chaupal.lib.ids import new_id

ROLES = ("user", "moderator", "admin")
# What an account is (issue 4): a person, an institution (ministry, department, office ...),
# a political party or a media outlet.
ACCOUNT_KINDS = ("person", "institution", "party", "media")
# Verification granted by moderators; `government` is the grey badge of institutions/offices.
VERIFICATION_TYPES = ("government", "official", "organisation", "notable")


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("username_lower", "domain"),
        Index("ix_accounts_created", "created_at"),
        Index("ix_accounts_uri", "uri"),
        Index("ix_accounts_domain", "domain"),
        # Visibility checks ask "is the author suspended?" on every read: a tiny partial index
        # answers that without scanning accounts.
        Index(
            "ix_accounts_suspended",
            "id",
            postgresql_where=text("suspended_at IS NOT NULL"),
            sqlite_where=text("suspended_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64))
    username_lower: Mapped[str] = mapped_column(String(64))
    # "" for local accounts; the remote server's host for federated ones (issue 7).
    domain: Mapped[str] = mapped_column(String(255), default="")
    display_name: Mapped[str] = mapped_column(String(255), default="")
    note: Mapped[str] = mapped_column(Text, default="")  # plain text as written
    note_html: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[list[Any]] = mapped_column(default=list)  # [{"name","value","verified_at"}]
    avatar_path: Mapped[str | None] = mapped_column(String(255), default=None)
    header_path: Mapped[str | None] = mapped_column(String(255), default=None)
    # Remote accounts: the actor's `icon` / `image` URLs; `avatar_path` / `header_path` then hold
    # our cached copy (media storage key), made through the media pipeline (issue 7).
    avatar_remote_url: Mapped[str | None] = mapped_column(String(1024), default=None)
    header_remote_url: Mapped[str | None] = mapped_column(String(1024), default=None)
    bot: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    discoverable: Mapped[bool] = mapped_column(Boolean, default=True)
    indexable: Mapped[bool] = mapped_column(Boolean, default=True)
    hide_collections: Mapped[bool] = mapped_column(Boolean, default=False)
    uri: Mapped[str | None] = mapped_column(String(1024), default=None)
    url: Mapped[str | None] = mapped_column(String(1024), default=None)
    public_key: Mapped[str | None] = mapped_column(Text, default=None)
    # Federation (issue 7). Local accounts: an RSA key pair made on first need. Remote
    # accounts: the actor's endpoints and key as last fetched from the actor's own origin.
    private_key: Mapped[str | None] = mapped_column(Text, default=None)
    key_id: Mapped[str | None] = mapped_column(String(1024), default=None)
    actor_type: Mapped[str] = mapped_column(String(32), default="Person")
    inbox_url: Mapped[str | None] = mapped_column(String(1024), default=None)
    shared_inbox_url: Mapped[str | None] = mapped_column(String(1024), default=None)
    outbox_url: Mapped[str | None] = mapped_column(String(1024), default=None)
    followers_url: Mapped[str | None] = mapped_column(String(1024), default=None)
    following_url: Mapped[str | None] = mapped_column(String(1024), default=None)
    featured_url: Mapped[str | None] = mapped_column(String(1024), default=None)
    last_fetched_at: Mapped[datetime | None] = mapped_column(default=None)
    moved_to_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    # Account moves (chaupal.actions.migration): the actor URIs this account says it moved
    # from (ActivityPub alsoKnownAs, checked by the server of an account moving here) and when
    # a local account last moved (the cooldown between moves counts from it).
    also_known_as: Mapped[list[Any]] = mapped_column(default=list)
    moved_at: Mapped[datetime | None] = mapped_column(default=None)
    followers_count: Mapped[int] = mapped_column(default=0)
    following_count: Mapped[int] = mapped_column(default=0)
    statuses_count: Mapped[int] = mapped_column(default=0)
    last_status_at: Mapped[datetime | None] = mapped_column(default=None)
    suspended_at: Mapped[datetime | None] = mapped_column(default=None)
    kind: Mapped[str] = mapped_column(String(16), default="person")
    verification: Mapped[str | None] = mapped_column(String(16), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    # TR39-style skeletons of the names (chaupal.gov.confusables), for look-alike checks.
    username_skeleton: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    display_name_skeleton: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def local(self) -> bool:
        return self.domain == ""

    @property
    def acct(self) -> str:
        return self.username if self.local else f"{self.username}@{self.domain}"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="user")
    approved: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    reason: Mapped[str | None] = mapped_column(Text, default=None)  # sign-up reason (approval mode)
    default_visibility: Mapped[str] = mapped_column(String(16), default="public")
    default_sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    default_language: Mapped[str | None] = mapped_column(String(16), default=None)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(default=None)
    # Two-factor TOTP (RFC 6238): the secret is set when enrolment starts and counts only
    # once `otp_enabled_at` is set (the user proved a code); `otp_last_step` stops replays.
    otp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    otp_enabled_at: Mapped[datetime | None] = mapped_column(default=None)
    otp_last_step: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
