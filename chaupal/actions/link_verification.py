"""Profile-link verification: saving profile fields with http(s) URLs queues a `verify_links`
job; the job fetches each page and sets the field's `verified_at` when the page links back
to the profile with rel="me" (and clears it when it no longer does)."""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.gov.rel_me import FetchRefused, fetch_page, links_back
from chaupal.jobs import enqueue, job_handler, network_phase
from chaupal.models import Account
from chaupal.render import iso
from chaupal.render.accounts import account_uri, account_url

log = logging.getLogger("chaupal.rel_me")
LINK_RE = re.compile(r"^https?://\S+$", re.IGNORECASE)


def linked_fields(account: Account) -> list[str]:
    """Field values that are a single http(s) URL (the ones worth checking)."""
    return [f.get("value", "") for f in account.fields or [] if LINK_RE.match(f.get("value", ""))]


async def do_enqueue_link_verification(session: AsyncSession, account: Account) -> None:
    if account.domain == "" and linked_fields(account):
        await enqueue(
            session, "verify_links", {"account_id": account.id}, dedupe_key=f"verify_links:{account.id}"
        )


async def verify_account_links(session: AsyncSession, settings: Settings, account_id: int) -> int:
    """Check every linked field of the account now; returns how many are verified."""
    account = await session.get(Account, account_id)
    if account is None or account.domain != "":
        return 0
    targets = [account_url(settings, account), account_uri(settings, account)]
    results: dict[str, str | None] = {}
    async with network_phase(session):  # other sites' pages: without holding the writer lock
        for url in dict.fromkeys(linked_fields(account)):
            try:
                final_url, page = await fetch_page(settings, url)
                ok = links_back(page, final_url, targets)
            except FetchRefused as exc:
                log.info("rel=me check of %s for account %s: %s", url, account_id, exc)
                ok = False
            results[url] = iso(utcnow()) if ok else None
    await session.refresh(account)  # the fetches took time: apply the results to today's fields
    fields: list[dict[str, Any]] = []
    for f in account.fields or []:
        value = f.get("value", "")
        if value in results:
            verified = results[value]
            # Keep the first verification time while the link keeps verifying.
            f = {**f, "verified_at": (f.get("verified_at") or verified) if verified else None}
        fields.append(f)
    account.fields = fields
    await session.flush()
    return sum(1 for f in fields if f.get("verified_at"))


@job_handler("verify_links")
async def verify_links_job(session: AsyncSession, settings: Settings, payload: dict[str, Any]) -> None:
    await verify_account_links(session, settings, int(payload["account_id"]))
