"""Delivery of our activities to remote inboxes, as durable jobs.

`ap_distribute` (enqueued by `outbox.publish`) resolves the distinct target inboxes — remote
followers' shared inbox (else their own), deduplicated, so an account with millions of remote
followers costs one delivery per server — in batches of `federation_delivery_batch` with a
continuation job for the rest, skips domains the policy refuses, and enqueues one `ap_deliver`
job per inbox.

`ap_deliver` signs the body with the actor's key (HTTP Signatures) and POSTs it: 2xx is done;
4xx other than 429 fails at once (visible in `chaupal jobs list`); 5xx, 429 and network errors
retry with exponential backoff from `federation_delivery_base_delay_seconds` (doubling, each
wait capped at `federation_unavailable_probe_seconds`, ±20% jitter) up to
`federation_delivery_max_attempts`, i.e. ~3.5-5.3 days with the defaults. Each remote host's
health is a `DeliveryDestination`: a host failing for longer than
`federation_unavailable_after_seconds` is unavailable — its deliveries are not attempted but
wait, and one of them probes it every `federation_unavailable_probe_seconds`; any success
clears it."""

from __future__ import annotations

import json
import logging
import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.federation.hosts import InvalidHost, normalize_host
from chaupal.federation.keys import ensure_keypair, key_id
from chaupal.federation.outbox import DISTRIBUTE
from chaupal.federation.policy import domain_policy
from chaupal.jobs import JobFailed, RetryLater, current_attempt, enqueue, job_handler, network_phase
from chaupal.lib.ids import new_id
from chaupal.models import Account, Follow, Job
from chaupal.models.federation import DeliveryDestination

log = logging.getLogger("chaupal.federation.delivery")

DELIVER = "ap_deliver"
MAX_ERROR_CHARS = 500


def delivery_delay(settings: Settings, attempt: int, rng: random.Random | None = None) -> float:
    """Wait after failed attempt number `attempt` (from 1): base * 2^(attempt-1), capped at the
    probe interval, ±20% jitter so the deliveries of one outage don't retry in lockstep."""
    full = settings.federation_delivery_base_delay_seconds * 2 ** min(max(attempt - 1, 0), 40)
    full = min(full, float(settings.federation_unavailable_probe_seconds))
    return full * (rng or random).uniform(0.8, 1.2)


def host_of(inbox: str) -> str | None:
    try:
        return normalize_host(inbox)
    except (InvalidHost, ValueError):
        return None


async def follower_inboxes(session: AsyncSession, actor_id: int, *, after: str, limit: int) -> list[str]:
    """Distinct delivery inboxes of `actor_id`'s remote followers, in order, after `after`."""
    shared = func.nullif(Account.shared_inbox_url, "")
    inbox = func.coalesce(shared, Account.inbox_url)
    rows = await session.scalars(
        select(inbox)
        .join(Follow, Follow.account_id == Account.id)
        .where(Follow.target_account_id == actor_id, Account.domain != "", inbox.is_not(None), inbox > after)
        .group_by(inbox)
        .order_by(inbox)
        .limit(limit)
    )
    return [r for r in rows.all() if r]


@job_handler(DISTRIBUTE)
async def distribute(session: AsyncSession, settings: Settings, payload: dict[str, Any]) -> None:
    if not settings.federation_enabled:
        return
    actor = await session.get(Account, int(payload["actor_id"]))
    if actor is None or not actor.local:
        return
    await ensure_keypair(session, actor)  # once here, not in every delivery
    body = payload.get("body") or json.dumps(payload["activity"], separators=(",", ":"), ensure_ascii=False)
    explicit = [i for i in payload.get("inboxes") or [] if isinstance(i, str) and i]
    after = payload.get("after")
    targets = list(explicit) if after is None else []
    page: list[str] = []
    if payload.get("to_followers", True):
        page = await follower_inboxes(
            session, actor.id, after=after or "", limit=settings.federation_delivery_batch
        )
        skip = set(explicit)
        targets.extend(i for i in page if i not in skip)
    allowed: dict[str, bool] = {}
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for inbox in dict.fromkeys(targets):
        host = host_of(inbox)
        if host is None:
            continue
        if host not in allowed:
            allowed[host] = (await domain_policy(session, settings, host)).allowed
        if not allowed[host]:
            continue
        rows.append(
            {
                "id": new_id(),
                "kind": DELIVER,
                "payload": {"actor_id": str(actor.id), "inbox": inbox, "body": body},
                "state": "queued",
                "run_at": now,
                "attempts": 0,
                "max_attempts": settings.federation_delivery_max_attempts,
                "created_at": now,
            }
        )
    if rows:  # one multi-row INSERT per batch, not a round trip per inbox
        await session.execute(insert(Job), rows)
    if len(page) >= settings.federation_delivery_batch:  # the rest in a continuation job
        await enqueue(
            session,
            DISTRIBUTE,
            {
                "actor_id": str(actor.id),
                "body": body,
                "to_followers": True,
                "inboxes": explicit,
                "after": page[-1],
            },
        )


async def _destination(session: AsyncSession, host: str) -> DeliveryDestination:
    dest = await session.scalar(select(DeliveryDestination).where(DeliveryDestination.host == host))
    if dest is not None:
        return dest
    try:
        async with session.begin_nested():
            dest = DeliveryDestination(host=host)
            session.add(dest)
            await session.flush()
        return dest
    except IntegrityError:  # another delivery to this host made it first
        found = await session.scalar(select(DeliveryDestination).where(DeliveryDestination.host == host))
        assert found is not None
        return found


async def send(settings: Settings, inbox: str, body: bytes, signing_key_id: str, private_pem: str) -> int:
    """POST one signed activity; returns the HTTP status (raises on network errors)."""
    from chaupal.federation.fetch import Signer, post_activity

    return await post_activity(settings, inbox, body, Signer(signing_key_id, private_pem))


def _permanent(exc: Exception) -> bool:
    """Refused before any request (SSRF guard, bad URL): retrying cannot help."""
    return bool(getattr(exc, "permanent", False))


@job_handler(DELIVER)
async def deliver(session: AsyncSession, settings: Settings, payload: dict[str, Any]) -> None:
    if not settings.federation_enabled:
        return
    inbox = str(payload["inbox"])
    host = host_of(inbox)
    if host is None:
        raise JobFailed(f"not a remote inbox URL: {inbox[:200]}")
    if not (await domain_policy(session, settings, host)).allowed:
        raise JobFailed(f"{host} is refused by the domain policy; not delivered")
    actor = await session.get(Account, int(payload["actor_id"]))
    if actor is None or not actor.local:
        return  # the account is gone
    dest = await _destination(session, host)
    now = utcnow()
    probe = timedelta(seconds=settings.federation_unavailable_probe_seconds)
    if dest.unavailable:
        next_probe = (dest.last_failure_at or now) + probe
        claimed = False
        if now >= next_probe:  # one delivery claims the probe; the others keep waiting
            result = await session.execute(
                update(DeliveryDestination)
                .where(
                    DeliveryDestination.id == dest.id,
                    DeliveryDestination.unavailable.is_(True),
                    DeliveryDestination.last_failure_at <= now - probe,
                )
                .values(last_failure_at=now)
                .execution_options(synchronize_session=False)
            )
            claimed = result.rowcount == 1  # type: ignore[attr-defined]
            next_probe = now + probe
        if not claimed:
            wait = (next_probe - now).total_seconds() + random.uniform(0, 0.1 * probe.total_seconds())
            raise RetryLater(wait, f"{host} is unavailable (failing since {_iso(dest.failing_since)}); waiting for its next probe")
    await ensure_keypair(session, actor)
    body = str(payload["body"]).encode()
    status: int | None = None
    signing_key_id, pem = key_id(settings, actor), actor.private_key or ""
    try:
        async with network_phase(session):  # SQLite: other writes go on while we wait
            status = await send(settings, inbox, body, signing_key_id, pem)
        error = f"HTTP {status}"
    except Exception as exc:  # noqa: BLE001 (network, TLS, timeout, refused)
        if _permanent(exc):
            raise JobFailed(f"{inbox}: {exc}") from None
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
    now = utcnow()
    if status is not None and 200 <= status < 300:
        await _record_success(session, dest, now, delivered=True)
        return
    if status is not None and 400 <= status < 500 and status != 429:
        await _record_success(session, dest, now, delivered=False)  # up, but refused this one
        raise JobFailed(f"{inbox} answered {error}; not retried")
    await _record_failure(session, settings, dest, now, error)
    attempt, _limit = current_attempt()
    raise RetryLater(delivery_delay(settings, attempt), f"{inbox}: {error}")


async def _record_success(session: AsyncSession, dest: DeliveryDestination, now: datetime, *, delivered: bool) -> None:
    values: dict[str, Any] = {"failing_since": None, "unavailable": False, "failures": 0, "last_success_at": now}
    if delivered:
        values["deliveries"] = DeliveryDestination.deliveries + 1
    await session.execute(
        update(DeliveryDestination)
        .where(DeliveryDestination.id == dest.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def _record_failure(
    session: AsyncSession, settings: Settings, dest: DeliveryDestination, now: datetime, error: str
) -> None:
    since = dest.failing_since or now
    unavailable = (now - since).total_seconds() > settings.federation_unavailable_after_seconds
    await session.execute(
        update(DeliveryDestination)
        .where(DeliveryDestination.id == dest.id)
        .values(
            failing_since=func.coalesce(DeliveryDestination.failing_since, now),
            unavailable=unavailable,
            failures=DeliveryDestination.failures + 1,
            last_failure_at=now,
            last_error=error[:MAX_ERROR_CHARS],
        )
        .execution_options(synchronize_session=False)
    )
    if unavailable and not dest.unavailable:
        log.warning("delivery: %s failing since %s, now unavailable", dest.host, _iso(since))


def _iso(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


async def list_destinations(session: AsyncSession, *, failing_only: bool = False, limit: int = 100) -> list[DeliveryDestination]:
    """Remote servers we deliver to: unavailable first, then failing, then the rest by host."""
    stmt = select(DeliveryDestination)
    if failing_only:
        stmt = stmt.where(DeliveryDestination.failing_since.is_not(None))
    stmt = stmt.order_by(
        DeliveryDestination.unavailable.desc(),
        DeliveryDestination.failing_since.is_(None),
        DeliveryDestination.host,
    ).limit(limit)
    return list((await session.scalars(stmt)).all())
