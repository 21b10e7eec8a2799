"""Domain policy writes: the operator's domain blocks and allows (Mastodon's admin API) and a
user's own domain blocks. Domains are stored as `normalize_host` spells them; each change
clears this process's policy cache (chaupal.federation.policy)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions import audit
from chaupal.actions.follows import do_remove_from_followers
from chaupal.config import Settings
from chaupal.errors import ApiError, unprocessable
from chaupal.federation import policy
from chaupal.models import Account, Follow
from chaupal.models.federation import (
    DOMAIN_BLOCK_SEVERITIES,
    AccountDomainBlock,
    DomainAllow,
    DomainBlock,
)

MAX_COMMENT_CHARS = 1000


def check_domain(settings: Settings, value: Any) -> str:
    """A remote domain as stored: normalised; not ours; 422 otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise unprocessable("domain can't be blank")
    try:
        domain = policy.canonical_domain(value)
    except ValueError as exc:
        raise unprocessable(f"domain is invalid ({exc})") from None
    if domain == policy.canonical_domain(settings.domain):
        raise unprocessable("domain is this server")
    return domain


def _check_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if fields.get("severity") is not None:
        if fields["severity"] not in DOMAIN_BLOCK_SEVERITIES:
            raise unprocessable(f"severity must be one of {', '.join(DOMAIN_BLOCK_SEVERITIES)}")
        out["severity"] = fields["severity"]
    for key in ("reject_media", "reject_reports", "obfuscate"):
        if fields.get(key) is not None:
            out[key] = bool(fields[key])
    for key in ("private_comment", "public_comment"):
        if fields.get(key) is not None:
            text = str(fields[key])
            if len(text) > MAX_COMMENT_CHARS:
                raise unprocessable(f"{key} is too long (maximum is {MAX_COMMENT_CHARS} characters)")
            out[key] = text
    return out


async def check_create_domain_block(
    session: AsyncSession, settings: Settings, moderator_id: int | None, domain: Any, fields: dict[str, Any]
) -> DomainBlock:
    """Block a domain (severity `silence` by default). 422 when a block of this domain, or of
    a parent domain at the same or a stricter severity, exists (`details` names it)."""
    host = check_domain(settings, domain)
    values = {"severity": "silence", **_check_fields(fields)}
    rank = {s: i for i, s in enumerate(DOMAIN_BLOCK_SEVERITIES)}
    for existing in (
        await session.scalars(select(DomainBlock).where(DomainBlock.domain.in_(policy.domain_candidates(host))))
    ).all():
        if existing.domain == host or rank[existing.severity] >= rank[values["severity"]]:
            raise ApiError(
                422,
                f"Validation failed: {existing.domain} is already blocked ({existing.severity})",
                details={"existing_domain_block": {"id": str(existing.id), "domain": existing.domain}},
            )
    block = DomainBlock(domain=host, **values)
    try:
        async with session.begin_nested():
            session.add(block)
            await session.flush()
    except IntegrityError:
        raise unprocessable(f"{host} is already blocked") from None
    if moderator_id is not None:
        audit.record(session, moderator_id, "domain_block.create", "domain_block", block.id, domain=host, severity=block.severity)
    policy.clear_cache()
    return block


async def do_update_domain_block(
    session: AsyncSession, moderator_id: int | None, block: DomainBlock, fields: dict[str, Any]
) -> DomainBlock:
    for key, value in _check_fields(fields).items():
        setattr(block, key, value)
    await session.flush()
    if moderator_id is not None:
        audit.record(session, moderator_id, "domain_block.update", "domain_block", block.id, domain=block.domain, severity=block.severity)
    policy.clear_cache()
    return block


async def do_delete_domain_block(session: AsyncSession, moderator_id: int | None, block: DomainBlock) -> None:
    if moderator_id is not None:
        audit.record(session, moderator_id, "domain_block.delete", "domain_block", block.id, domain=block.domain)
    await session.delete(block)
    await session.flush()
    policy.clear_cache()


async def check_create_domain_allow(
    session: AsyncSession, settings: Settings, moderator_id: int | None, domain: Any
) -> DomainAllow:
    """Allow a domain (allow-list mode); allowing it again returns the existing row."""
    host = check_domain(settings, domain)
    existing = await session.scalar(select(DomainAllow).where(DomainAllow.domain == host))
    if existing is not None:
        return existing
    allow = DomainAllow(domain=host)
    try:
        async with session.begin_nested():
            session.add(allow)
            await session.flush()
    except IntegrityError:
        found = await session.scalar(select(DomainAllow).where(DomainAllow.domain == host))
        assert found is not None
        return found
    if moderator_id is not None:
        audit.record(session, moderator_id, "domain_allow.create", "domain_allow", allow.id, domain=host)
    policy.clear_cache()
    return allow


async def do_delete_domain_allow(session: AsyncSession, moderator_id: int | None, allow: DomainAllow) -> None:
    if moderator_id is not None:
        audit.record(session, moderator_id, "domain_allow.delete", "domain_allow", allow.id, domain=allow.domain)
    await session.delete(allow)
    await session.flush()
    policy.clear_cache()


async def check_user_domain_block(
    session: AsyncSession, settings: Settings, account: Account, domain: Any
) -> None:
    """A user hides a whole domain: its posts leave the user's timelines and notifications, and
    its accounts stop following the user (each gets a Reject, as with "remove follower").
    Blocking again is a no-op."""
    host = check_domain(settings, domain)
    audit.record(session, account.id, "domain_block.user_create", "account", account.id, domain=host)
    if await session.scalar(
        select(AccountDomainBlock.id).where(AccountDomainBlock.account_id == account.id, AccountDomainBlock.domain == host)
    ) is None:
        try:
            async with session.begin_nested():
                session.add(AccountDomainBlock(account_id=account.id, domain=host))
                await session.flush()
        except IntegrityError:
            pass
    followers = (
        await session.scalars(
            select(Account)
            .join(Follow, Follow.account_id == Account.id)
            .where(Follow.target_account_id == account.id, Account.domain == host)
        )
    ).all()
    for follower in followers:
        await do_remove_from_followers(session, account, follower, settings=settings)
    await session.flush()


async def do_user_domain_unblock(session: AsyncSession, settings: Settings, account: Account, domain: Any) -> None:
    host = check_domain(settings, domain)
    audit.record(session, account.id, "domain_block.user_delete", "account", account.id, domain=host)
    await session.execute(
        delete(AccountDomainBlock).where(AccountDomainBlock.account_id == account.id, AccountDomainBlock.domain == host)
    )
    await session.flush()
