"""The streaming API's batched token re-check: which of the open streams' tokens are still
valid, and with which scopes, in one query per chunk of tokens (not one per stream). A
token's validity is `chaupal.api.deps.load_auth`'s, delegated institution tokens included."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from chaupal.actions.delegation import clip_scopes
from chaupal.actions.members import ACTING_ROLES
from chaupal.db import utcnow
from chaupal.models import AccessToken, Account, InstitutionMember, User

CHUNK = 500  # token ids per query: well inside every database's bound-parameter limit


async def live_scopes(session: AsyncSession, token_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """Of `token_ids`, the tokens `load_auth` would still accept, with the scopes it would
    give them today (a delegated token's scopes narrow to its staff member's current role).
    A token missing from the answer is unknown, revoked, expired, or its user, account,
    membership or institution no longer allows it."""
    ids = sorted(set(token_ids))
    now = utcnow()
    own, inst = aliased(Account), aliased(Account)
    live: dict[int, frozenset[str]] = {}
    for start in range(0, len(ids), CHUNK):
        rows = await session.execute(
            select(
                AccessToken.id, AccessToken.scopes, AccessToken.user_id, AccessToken.acting_account_id,
                AccessToken.expires_at, User.id, User.disabled, User.approved, User.otp_enabled_at,
                own.suspended_at, own.id, InstitutionMember.role, inst.suspended_at, inst.verification,
            )
            .outerjoin(User, User.id == AccessToken.user_id)
            .outerjoin(own, own.id == User.account_id)
            .outerjoin(
                InstitutionMember,
                and_(
                    InstitutionMember.user_id == AccessToken.user_id,
                    InstitutionMember.institution_account_id == AccessToken.acting_account_id,
                ),
            )
            .outerjoin(inst, inst.id == AccessToken.acting_account_id)
            .where(
                AccessToken.id.in_(ids[start : start + CHUNK]),
                AccessToken.revoked_at.is_(None),
                AccessToken.kind == "oauth",
            )
        )
        for (
            tid, scopes, user_id, acting_id, expires_at, found_user, disabled, approved, otp_at,
            own_suspended, own_id, role, inst_suspended, verification,
        ) in rows:
            if expires_at is not None and expires_at <= now:
                continue
            if user_id is None:  # an app token (client credentials)
                live[tid] = frozenset(scopes.split())
                continue
            if found_user is None or disabled or not approved or own_id is None or own_suspended is not None:
                continue
            if acting_id is None:
                live[tid] = frozenset(scopes.split())
                continue
            # Delegated (chaupal.actions.delegation.load_delegation's rules).
            if role not in ACTING_ROLES or inst_suspended is not None:
                continue
            if verification == "government" and otp_at is None:
                continue
            clipped = frozenset(clip_scopes(scopes.split(), role))
            if clipped:
                live[tid] = clipped
    return live
