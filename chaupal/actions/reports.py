"""Reports (Mastodon's `POST /api/v1/reports`, issue 7): a user reports an account, optionally
with some of its posts, to our moderators; moderators resolve and reopen them.

A report is a `ModerationFlag(kind="report")` on the reported account — the same table that
holds the reports other servers send us as `Flag` (chaupal.federation.inbox_people) and the
impersonation flags. `related_account_id` is the reporter (for a forwarded Flag: the remote
server's actor). With `forward` and a remote target, a `Flag` goes to the target's server from
our instance actor, so the reporter stays anonymous there (as Mastodon does)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import visible_clause
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import not_found, unprocessable
from chaupal.federation import instance_actor, outbox
from chaupal.federation.render_activities import flag as render_flag
from chaupal.lib.ids import new_id
from chaupal.models import Account, ModerationFlag, Status

CATEGORIES = ("spam", "legal", "violation", "other")
KIND = "report"
MAX_STATUS_IDS = 100  # statuses attached to one report (more are refused)


def parse_id(raw: object) -> int:
    """A database id from a request (digits, below 2**63), else 404 as for a missing record."""
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19 or int(text) >= 2**63:
        raise not_found()
    return int(text)


def _ids(values: Sequence[str]) -> list[int]:
    return list(dict.fromkeys(parse_id(raw) for raw in values))


async def _forwarding_actor(session: AsyncSession, settings: Settings) -> Account:
    """The instance actor, made in this transaction if it does not exist yet."""
    actor = await instance_actor.load(session)
    if actor is None:
        try:
            async with session.begin_nested():
                # helper of chaupal.federation.instance_actor (its key pair and fixed URIs)
                session.add(instance_actor._new_row(settings))
        except IntegrityError:  # another process made it first
            pass
        actor = await instance_actor.load(session)
    assert actor is not None
    return actor


async def do_file_report(
    session: AsyncSession,
    settings: Settings,
    reporter: Account,
    *,
    account_id: str,
    status_ids: Sequence[str] = (),
    comment: str = "",
    category: str | None = None,
    rule_ids: Sequence[str] = (),
    forward: bool = False,
) -> tuple[ModerationFlag, Account, list[Status]]:
    """File a report on `account_id` (404 if unknown); `status_ids` must be that account's posts
    that the reporter may see (404 otherwise, as Mastodon's `find` on the account's statuses
    filtered for the reporter: hidden and missing look the same). Returns the flag, the target
    and the attached statuses. Forwards a `Flag` in this transaction when asked and remote."""
    target = await session.get(Account, parse_id(account_id))
    if target is None:
        raise not_found()
    comment = comment or ""
    if len(comment) > settings.max_report_comment_chars:
        raise unprocessable(f"Comment is too long (maximum is {settings.max_report_comment_chars} characters)")
    if len(status_ids) > MAX_STATUS_IDS:
        raise unprocessable(f"at most {MAX_STATUS_IDS} statuses can be attached to a report")
    if category is not None and category not in CATEGORIES:
        raise unprocessable(f"Category is not one of {', '.join(CATEGORIES)}")
    if rule_ids:
        # Chaupal has no server rules yet (GET /api/v1/instance/rules is empty).
        raise unprocessable("Rule ids does not reference valid rules")
    ids = _ids(status_ids)
    statuses: list[Status] = []
    if ids:
        found = (
            await session.scalars(
                select(Status).where(
                    Status.id.in_(ids), Status.account_id == target.id, visible_clause(reporter.id)
                )
            )
        ).all()
        by_id = {s.id: s for s in found}
        if len(by_id) != len(ids):
            raise not_found()
        statuses = [by_id[i] for i in ids]
    report_id = new_id()
    forwarded = False
    if forward and not target.local and settings.federation_enabled:
        inbox = outbox.server_inbox_of(target)
        if inbox:
            actor = await _forwarding_actor(session, settings)
            activity = render_flag(
                settings,
                instance_actor.actor_uri(settings),
                target.uri or "",
                [s.uri for s in statuses if s.uri],
                comment,
                report_id,
            )
            await outbox.publish(session, settings, actor, activity, to_followers=False, inboxes=[inbox])
            forwarded = True
    report = ModerationFlag(
        id=report_id,
        account_id=target.id,
        kind=KIND,
        related_account_id=reporter.id,
        detail={
            "source": "local",
            "reporter_account_id": str(reporter.id),
            "status_ids": [str(i) for i in ids],
            "comment": comment,
            "category": category or "other",
            "rule_ids": [],
            "forwarded": forwarded,
        },
    )
    session.add(report)
    await session.flush()
    return report, target, statuses


async def do_resolve_report(session: AsyncSession, report: ModerationFlag, moderator: Account | None) -> ModerationFlag:
    """Mark the report handled (again: the time and moderator are renewed, as Mastodon does)."""
    report.resolved_at = utcnow()
    report.resolved_by_account_id = moderator.id if moderator else None
    await session.flush()
    return report


async def do_reopen_report(session: AsyncSession, report: ModerationFlag) -> ModerationFlag:
    report.resolved_at = None
    report.resolved_by_account_id = None
    await session.flush()
    return report
