"""Issuing and revoking access tokens."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.db import utcnow
from chaupal.models import AccessToken
from chaupal.security import digest, new_secret


async def do_issue_token(
    session: AsyncSession,
    *,
    user_id: int | None,
    application_id: int | None,
    scopes: str,
    with_refresh: bool = False,
    ttl_seconds: int | None = None,
    kind: str = "oauth",
    authorization_code_id: int | None = None,
    acting_account_id: int | None = None,
) -> tuple[AccessToken, str, str | None]:
    """Create a token; returns the row, the plain token and the plain refresh token (shown once)."""
    plain = new_secret()
    refresh = new_secret() if with_refresh else None
    token = AccessToken(
        token_digest=digest(plain),
        refresh_digest=digest(refresh) if refresh else None,
        application_id=application_id,
        user_id=user_id,
        scopes=scopes,
        kind=kind,
        authorization_code_id=authorization_code_id,
        acting_account_id=acting_account_id,
        expires_at=utcnow() + timedelta(seconds=ttl_seconds) if ttl_seconds else None,
    )
    session.add(token)
    await session.flush()
    return token, plain, refresh


async def do_revoke_token(session: AsyncSession, token: AccessToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await session.flush()


async def do_revoke_code_tokens(session: AsyncSession, authorization_code_id: int) -> int:
    """Revoke every token issued from one authorisation code (a replayed code)."""
    result = await session.execute(
        update(AccessToken)
        .where(
            AccessToken.authorization_code_id == authorization_code_id,
            AccessToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def do_revoke_user_tokens(session: AsyncSession, user_id: int) -> int:
    """Revoke every live token of a user (password change, suspension)."""
    result = await session.execute(
        update(AccessToken)
        .where(AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
