"""External presences (the same institution on X, YouTube ...) and their audience figures:
declared by the account's owners or an admin, shown apart from on-platform followers."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions import audit
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError, forbidden, not_found, unprocessable
from chaupal.models import Account, ExternalAudience, ExternalPresence, InstitutionMember, User

MAX_FOLLOWERS = 10**12  # more than everyone on Earth: a typo, not an audience


async def may_manage_presences(session: AsyncSession, user: User, account: Account) -> bool:
    """Admins, the account's own user, and owners of an institution account."""
    if user.role == "admin" or user.account_id == account.id:
        return True
    owner = await session.scalar(
        select(InstitutionMember.id).where(
            InstitutionMember.institution_account_id == account.id,
            InstitutionMember.user_id == user.id,
            InstitutionMember.role == "owner",
        )
    )
    return owner is not None


async def access_presence_account(
    session: AsyncSession, account_id: str, user: User | None = None
) -> Account:
    """The account by id (404 if unknown or suspended); with `user`, 403 unless they manage it."""
    if not account_id.isdigit() or len(account_id) > 20:
        raise not_found()
    account = await session.get(Account, int(account_id))
    if account is None or account.suspended_at is not None:
        raise not_found()
    if user is not None and not await may_manage_presences(session, user, account):
        raise forbidden("Only the account's owners or an admin may change its external presences")
    return account


async def access_presence(session: AsyncSession, account: Account, presence_id: str) -> ExternalPresence:
    if not presence_id.isdigit() or len(presence_id) > 20:
        raise not_found()
    presence = await session.get(ExternalPresence, int(presence_id))
    if presence is None or presence.account_id != account.id:
        raise not_found()
    return presence


async def _audit(
    session: AsyncSession, account: Account, user: User, action: str, presence: ExternalPresence, **detail: object
) -> None:
    """Changes to a non-person account's presences go to its audit trail, with who made them."""
    if account.kind == "person":
        return
    staff = await session.get(Account, user.account_id)
    audit.record_by(
        session, account.id, user_id=user.id, staff_account_id=user.account_id,
        staff_username=staff.username if staff else "", action=action,
        object_type="external_presence", object_id=presence.id,
        platform=presence.platform, url=presence.url, **detail,
    )


def check_presence_url(settings: Settings, url: str) -> str:
    url = url.strip()
    if len(url) > settings.max_presence_url_chars:
        raise unprocessable(f"url is longer than {settings.max_presence_url_chars} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or any(c.isspace() for c in url):
        raise unprocessable("url must be an http(s) address")
    return url


async def check_add_presence(
    session: AsyncSession, settings: Settings, account: Account, user: User, platform: str, url: str
) -> ExternalPresence:
    platform = platform.strip()
    if not platform or len(platform) > settings.max_presence_platform_chars:
        raise unprocessable(
            f"platform must be 1 to {settings.max_presence_platform_chars} characters"
        )
    url = check_presence_url(settings, url)
    count = await session.scalar(
        select(func.count()).select_from(ExternalPresence).where(ExternalPresence.account_id == account.id)
    )
    if (count or 0) >= settings.max_presences_per_account:
        raise unprocessable(
            f"an account may declare at most {settings.max_presences_per_account} external presences"
        )
    taken = await session.scalar(
        select(ExternalPresence.id).where(
            ExternalPresence.account_id == account.id,
            ExternalPresence.platform == platform,
            ExternalPresence.url == url,
        )
    )
    if taken is not None:
        raise unprocessable("this presence is already declared")
    return await do_add_presence(session, account, user, platform, url)


async def do_add_presence(
    session: AsyncSession, account: Account, user: User, platform: str, url: str
) -> ExternalPresence:
    presence = ExternalPresence(account_id=account.id, platform=platform, url=url)
    session.add(presence)
    await session.flush()
    await _audit(session, account, user, "presence.create", presence)
    return presence


async def do_delete_presence(
    session: AsyncSession, account: Account, user: User, presence: ExternalPresence
) -> None:
    await _audit(session, account, user, "presence.delete", presence)
    await session.execute(delete(ExternalAudience).where(ExternalAudience.presence_id == presence.id))
    await session.delete(presence)
    await session.flush()


async def do_mark_presence_verified(
    session: AsyncSession, account: Account, user: User, presence: ExternalPresence, verified: bool
) -> None:
    """An admin's confirmation (or withdrawal) that the presence belongs to the account."""
    presence.verified_at = utcnow() if verified else None
    await _audit(session, account, user, "presence.verify", presence, verified=verified)
    await session.flush()


async def check_record_audience(
    session: AsyncSession,
    settings: Settings,
    presence_account: Account,
    presence: ExternalPresence,
    user: User,
    *,
    followers: int,
    as_of: date,
    source: str,
) -> ExternalAudience:
    source = source.strip()
    if not source or len(source) > settings.max_audience_source_chars:
        raise unprocessable(
            f"source must be 1 to {settings.max_audience_source_chars} characters (where the figure comes from)"
        )
    if not 0 <= followers <= MAX_FOLLOWERS:
        raise unprocessable("followers must be a whole number from 0")
    if as_of > utcnow().date():
        raise ApiError(422, "Validation failed: as_of cannot be in the future")
    row = ExternalAudience(
        presence_id=presence.id, as_of=as_of, followers=followers, source=source,
        recorded_by_user_id=user.id,
    )
    session.add(row)
    await session.flush()
    await _audit(
        session, presence_account, user, "presence.audience", presence,
        followers=followers, as_of=as_of.isoformat(), source=source,
    )
    return row
