"""The operator's policy per remote domain: in allow-list mode only `DomainAllow` domains
federate; a `DomainBlock` of severity `suspend` refuses everything (no inbox, no delivery, no
fetch), `silence` keeps the domain's accounts out of public timelines and away from people who
don't follow them, `reject_media` keeps its files off our disk. A block of `example.com` covers
its subdomains (`social.example.com`), as Mastodon's does — a silence as well as a suspension.

Who asks: the inbox (refuse a suspended/non-allowed sender), delivery (skip such inboxes),
remote fetches. Where `silence` applies (`silenced`, `not_silenced`): public timelines, hashtag
timelines, trends and notifications from accounts the viewer does not follow.

Answers are cached per process for `POLICY_CACHE_SECONDS` (delivery asks once per inbox); the
admin API clears this process's cache on every change, other processes see it within the TTL."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from chaupal.config import Settings
from chaupal.federation.hosts import InvalidHost, normalize_host
from chaupal.models import Account
from chaupal.models.federation import DomainAllow, DomainBlock

POLICY_CACHE_SECONDS = 10.0
_CACHE_MAX = 10_000


@dataclass(frozen=True)
class Policy:
    allowed: bool  # false: no federation at all with this domain (suspended or not allow-listed)
    severity: str  # "none" | "noop" | "silence" | "suspend"
    reject_media: bool
    reject_reports: bool

    @property
    def silenced(self) -> bool:
        return self.severity == "silence"


OPEN = Policy(True, "none", False, False)
REFUSED = Policy(False, "suspend", True, True)

_cache: dict[tuple[str, str], tuple[float, Policy]] = {}


def clear_cache() -> None:
    _cache.clear()


def domain_candidates(domain: str) -> list[str]:
    """The host as given, without its port, and every parent domain (`a.b.example.com` ->
    `b.example.com`, `example.com`, `com`): the rows any of which may cover it."""
    out = [domain]
    name = domain
    if not name.startswith("[") and name.count(":") == 1:
        name = name.split(":", 1)[0]
        out.append(name)
    if not name.startswith("[") and not name.replace(".", "").isdigit():
        parts = name.split(".")
        out.extend(".".join(parts[i:]) for i in range(1, len(parts)))
    return list(dict.fromkeys(out))


def canonical_domain(value: str) -> str:
    """`normalize_host` of an admin's or user's input; raises `ValueError` when it isn't one."""
    try:
        return normalize_host((value or "").strip())
    except (InvalidHost, ValueError) as exc:
        raise ValueError(str(exc) or "invalid domain") from None


async def domain_policy(session: AsyncSession, settings: Settings, domain: str) -> Policy:
    """The policy for a remote host (`normalize_host` form, port kept). Local ("") is open."""
    if not domain:
        return OPEN
    key = (settings.federation_mode, domain)
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    policy = await _lookup(session, settings, domain)
    if len(_cache) >= _CACHE_MAX:
        _cache.clear()
    _cache[key] = (now + POLICY_CACHE_SECONDS, policy)
    return policy


async def is_allowed(session: AsyncSession, settings: Settings, domain: str) -> bool:
    return (await domain_policy(session, settings, domain)).allowed


async def _lookup(session: AsyncSession, settings: Settings, domain: str) -> Policy:
    candidates = domain_candidates(domain)
    if settings.federation_mode == "allowlist":
        allowed = await session.scalar(select(DomainAllow.id).where(DomainAllow.domain.in_(candidates)).limit(1))
        if allowed is None:
            return REFUSED
    blocks = (await session.scalars(select(DomainBlock).where(DomainBlock.domain.in_(candidates)))).all()
    if not blocks:
        return OPEN
    block = max(blocks, key=lambda b: len(b.domain))  # the most specific row decides
    return Policy(
        allowed=block.severity != "suspend",
        severity=block.severity,
        reject_media=block.reject_media or block.severity == "suspend",
        reject_reports=block.reject_reports or block.severity == "suspend",
    )


def _covers(host: Any, block_domain: Any) -> Any:
    """SQL: the row for `block_domain` covers `host` — the domain itself, a subdomain, either
    with a port (as `domain_candidates`). `_` may appear in a host label, so it is escaped for
    LIKE; `%` and `\\` cannot (`normalize_host` refuses them)."""
    pattern = func.replace(block_domain, "_", "\\_")
    return or_(
        host == block_domain,
        host.like(literal("%.").concat(pattern), escape="\\"),
        host.like(pattern.concat(":%"), escape="\\"),
        host.like(literal("%.").concat(pattern).concat(":%"), escape="\\"),
    )


def silenced(account_id_column: Any) -> Any:
    """SQL condition: the account is on a silenced domain — a `silence` row for its domain or a
    parent domain, unless a more specific `noop` row exempts it (the most specific row decides,
    as in `domain_policy`; a more specific `suspend` only hides more). Correlated on the
    account id, so a paged timeline checks only the rows it reads, with no per-row Python."""
    author, block, exempt = aliased(Account), aliased(DomainBlock), aliased(DomainBlock)
    return exists().where(
        author.id == account_id_column,
        author.domain != "",
        block.severity == "silence",
        _covers(author.domain, block.domain),
        ~exists().where(
            exempt.severity == "noop",
            _covers(author.domain, exempt.domain),
            func.length(exempt.domain) > func.length(block.domain),
        ),
    )


def not_silenced(account_id_column: Any) -> Any:
    """SQL condition for public and hashtag timelines and trends: the author is not silenced."""
    return ~silenced(account_id_column)
