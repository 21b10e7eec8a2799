"""Two-factor sign-in with TOTP (RFC 6238, pyotp): enrolment, confirmation, disabling, and
checking a code once (a used time step is remembered, so a code cannot be replayed)."""

from __future__ import annotations

import hmac
import time
from typing import Any

import pyotp
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError, unprocessable
from chaupal.models import AccessToken, Account, User

STEP_SECONDS = 30
DIGITS = 6


def _clean(code: Any) -> str | None:
    if not isinstance(code, (str, int)) or isinstance(code, bool):
        return None
    text = str(code).replace(" ", "").strip()
    return text if len(text) == DIGITS and text.isdigit() else None


def matching_step(secret: str, code: Any, window: int, now: float | None = None) -> int | None:
    """The time step whose code equals `code`, looking `window` steps either side of now."""
    cleaned = _clean(code)
    if cleaned is None or not secret:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    found = None
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), cleaned):
            found = step  # keep looping: constant work whatever matched
    return found


async def verify_code(session: AsyncSession, settings: Settings, user: User, code: Any) -> bool:
    """True once per valid code: the step is claimed atomically, so a replay (or a racing
    request with the same code) fails."""
    if not user.otp_secret:
        return False
    step = matching_step(user.otp_secret, code, settings.otp_valid_window)
    if step is None:
        return False
    claimed = await session.execute(
        update(User)
        .where(User.id == user.id, or_(User.otp_last_step.is_(None), User.otp_last_step < step))
        .values(otp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if not getattr(claimed, "rowcount", 0):
        return False
    set_committed_value(user, "otp_last_step", step)
    return True


async def check_code(
    session: AsyncSession, settings: Settings, limiter: Any, user: User, code: Any
) -> None:
    """Verify a code for an action that needs one; rate-limited per user. 403 when wrong."""
    if settings.rate_limit_enabled and limiter is not None:
        verdict = await limiter.hit(
            "otp", str(user.id), settings.rate_limit_otp, settings.rate_limit_otp_window_seconds
        )
        if not verdict.allowed:
            raise ApiError(429, "Too many two-factor attempts; wait and try again", headers=verdict.headers())
    if _clean(code) is None:
        raise ApiError(403, "A two-factor code (otp) from your authenticator app is required")
    if not await verify_code(session, settings, user, code):
        raise ApiError(403, "The two-factor code is wrong or was already used")


def provisioning_uri(settings: Settings, user: User, account: Account) -> str:
    assert user.otp_secret
    return pyotp.TOTP(user.otp_secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=f"{account.username}@{settings.domain}", issuer_name=settings.title
    )


async def do_begin_enrolment(session: AsyncSession, user: User) -> str:
    """A new secret, not yet in force: the user proves a code with `check_enable`."""
    if user.otp_enabled_at is not None:
        raise unprocessable("two-factor authentication is already enabled; disable it first")
    user.otp_secret = pyotp.random_base32()
    user.otp_last_step = None
    await session.flush()
    return user.otp_secret


async def check_enable(
    session: AsyncSession, settings: Settings, limiter: Any, user: User, code: Any
) -> None:
    if user.otp_enabled_at is not None:
        raise unprocessable("two-factor authentication is already enabled")
    if not user.otp_secret:
        raise unprocessable("start the set-up first (a secret is generated for you)")
    await check_code(session, settings, limiter, user, code)
    user.otp_enabled_at = utcnow()
    await session.flush()


async def check_disable(
    session: AsyncSession, settings: Settings, limiter: Any, user: User, code: Any
) -> None:
    """Turn TOTP off (needs a current code). Acting for government-verified accounts needs
    TOTP, so the user's delegated tokens for them are revoked and web sessions stop acting."""
    if user.otp_enabled_at is None:
        raise unprocessable("two-factor authentication is not enabled")
    await check_code(session, settings, limiter, user, code)
    user.otp_secret = None
    user.otp_enabled_at = None
    user.otp_last_step = None
    government = select(Account.id).where(Account.verification == "government")
    mine = (AccessToken.user_id == user.id, AccessToken.acting_account_id.in_(government))
    await session.execute(
        update(AccessToken)
        .where(*mine, AccessToken.kind == "oauth", AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(AccessToken)
        .where(*mine, AccessToken.kind == "session")
        .values(acting_account_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
