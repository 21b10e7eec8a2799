"""Scheduled statuses and approval drafts: validate and store a post for later (Mastodon's
ScheduledStatus) or for another staff member's approval, reschedule, cancel, approve, reject,
and the `publish_scheduled` job that posts it through `check_create_status`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import access_status
from chaupal.actions import audit
from chaupal.actions.media import access_media
from chaupal.actions.status_text import check_text, check_visibility, clean_language
from chaupal.actions.statuses import check_create_status
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError, forbidden, not_found, unprocessable
from chaupal.jobs import JobFailed, enqueue, job_handler
from chaupal.models import (
    Account,
    InstitutionMember,
    InstitutionProfile,
    Job,
    ScheduledStatus,
    Status,
    User,
)

PENDING = ("scheduled", "pending_approval")  # states that count against the limits
PUBLISH_JOB = "publish_scheduled"
REVIEWER_ROLES = ("owner", "editor")


def parse_scheduled_at(raw: Any) -> datetime:
    """An ISO 8601 datetime (or date) from the client; no zone means UTC. 422 otherwise."""
    if isinstance(raw, datetime):
        value = raw
    else:
        text = str(raw).strip()
        try:
            value = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            raise unprocessable("Validation failed: Scheduled at is not a valid datetime") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if not datetime(1970, 1, 2, tzinfo=UTC) < value < datetime(9999, 1, 1, tzinfo=UTC):
        raise unprocessable("Validation failed: Scheduled at is not a valid datetime")
    return value


def check_lead_time(settings: Settings, when: datetime) -> None:
    if when < utcnow() + timedelta(seconds=settings.scheduled_status_min_lead_seconds):
        raise unprocessable("Validation failed: Scheduled at The scheduled date must be in the future")


async def _check_limits(
    session: AsyncSession, settings: Settings, account_id: int, when: datetime | None, *, exclude: int | None = None
) -> None:
    mine = select(func.count()).select_from(ScheduledStatus).where(
        ScheduledStatus.account_id == account_id, ScheduledStatus.state.in_(PENDING)
    )
    if exclude is not None:
        mine = mine.where(ScheduledStatus.id != exclude)
    if exclude is None and (await session.scalar(mine) or 0) >= settings.max_scheduled_statuses:
        raise unprocessable("Validation failed: You have exceeded the limit of scheduled statuses")
    if when is not None:
        day = when.replace(hour=0, minute=0, second=0, microsecond=0)
        same_day = mine.where(
            ScheduledStatus.scheduled_at >= day, ScheduledStatus.scheduled_at < day + timedelta(days=1)
        )
        if (await session.scalar(same_day) or 0) >= settings.max_scheduled_statuses_per_day:
            raise unprocessable(
                "Validation failed: You have exceeded the limit of scheduled statuses for that day"
            )


async def needs_approval(session: AsyncSession, user: User | None, account: Account) -> bool:
    """True when `user` acts for the institution `account` as an editor and the institution
    requires approval (delegation: the user's own account is not the acting account)."""
    if user is None or user.account_id == account.id:
        return False
    profile = await session.get(InstitutionProfile, account.id)
    if profile is None or not profile.require_approval:
        return False
    role = await session.scalar(
        select(InstitutionMember.role).where(
            InstitutionMember.institution_account_id == account.id, InstitutionMember.user_id == user.id
        )
    )
    return role == "editor"


async def _reserved_media(session: AsyncSession, account_id: int, exclude: int | None = None) -> set[int]:
    """Media IDs already promised to another pending scheduled status of this account."""
    stmt = select(ScheduledStatus.id, ScheduledStatus.media_ids).where(
        ScheduledStatus.account_id == account_id, ScheduledStatus.state.in_(PENDING)
    )
    return {
        int(m) for sid, ids in (await session.execute(stmt)).all() if sid != exclude for m in ids or []
    }


async def _check_media(
    session: AsyncSession, settings: Settings, account: Account, media_ids: Sequence[Any]
) -> list[int]:
    """The account's own unattached uploads, not promised to another scheduled post; 404 else."""
    media = [await access_media(session, account, value) for value in dict.fromkeys(media_ids)]
    if len(media) > settings.max_media_attachments:
        raise unprocessable(f"Cannot attach more than {settings.max_media_attachments} files")
    if any(m.type in ("video", "gifv") for m in media) and len(media) > 1:
        raise unprocessable("Cannot attach a video to a post that already contains images")
    if {m.id for m in media} & await _reserved_media(session, account.id):
        raise not_found()
    return [m.id for m in media]


async def check_schedule_status(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    *,
    user: User | None,
    text: str,
    scheduled_at: datetime | None,
    pending_approval: bool = False,
    visibility: str | None = None,
    spoiler_text: str = "",
    sensitive: bool | None = None,
    language: str | None = None,
    in_reply_to_id: int | None = None,
    application_id: int | None = None,
    media_ids: Sequence[Any] | None = None,
) -> ScheduledStatus:
    """Validate a post now (as `check_create_status` will at publish time) and keep it for
    `scheduled_at`, or as a draft awaiting approval (`pending_approval`; time optional)."""
    if pending_approval and scheduled_at is not None and scheduled_at <= utcnow():
        scheduled_at = None  # a time already past: publish on approval
    if scheduled_at is not None:
        check_lead_time(settings, scheduled_at)
    elif not pending_approval:
        raise unprocessable("Validation failed: Scheduled at can't be blank")
    check_visibility(visibility)
    check_text(settings, text, spoiler_text, allow_blank=bool(media_ids))
    if in_reply_to_id is not None:
        await access_status(session, account.id, in_reply_to_id)
    ids = await _check_media(session, settings, account, media_ids or [])
    await _check_limits(session, settings, account.id, scheduled_at)
    sched = ScheduledStatus(
        account_id=account.id,
        created_by_user_id=user.id if user else None,
        application_id=application_id,
        scheduled_at=scheduled_at,
        state="pending_approval" if pending_approval else "scheduled",
        media_ids=[str(i) for i in ids],
        params={
            "text": text,
            "spoiler_text": spoiler_text or None,
            "sensitive": sensitive,
            "visibility": visibility,
            "language": clean_language(language),
            "in_reply_to_id": str(in_reply_to_id) if in_reply_to_id is not None else None,
        },
    )
    session.add(sched)
    await session.flush()
    audit.record(
        session,
        account.id,
        "draft.create" if pending_approval else "status.schedule",
        "scheduled_status",
        sched.id,
        text=audit.excerpt(text),
    )
    if not pending_approval:
        await _enqueue_publish(session, sched)
    return sched


def _job_key(sched: ScheduledStatus) -> str:
    assert sched.scheduled_at is not None
    return f"{PUBLISH_JOB}:{sched.id}:{sched.scheduled_at.isoformat()}"


async def _enqueue_publish(session: AsyncSession, sched: ScheduledStatus) -> None:
    await enqueue(
        session, PUBLISH_JOB, {"scheduled_status_id": str(sched.id)}, run_at=sched.scheduled_at,
        dedupe_key=_job_key(sched),
    )


async def _drop_queued_job(session: AsyncSession, sched: ScheduledStatus) -> None:
    if sched.scheduled_at is not None and sched.state == "scheduled":
        await session.execute(
            delete(Job).where(Job.dedupe_key == _job_key(sched), Job.state == "queued")
        )


async def access_scheduled(
    session: AsyncSession, account_id: int, scheduled_id: Any, states: Sequence[str] = PENDING
) -> ScheduledStatus:
    """The account's own not-yet-published scheduled status or draft, else 404."""
    try:
        sid = int(str(scheduled_id))
    except ValueError:
        raise not_found() from None
    if not 0 <= sid < 2**63:
        raise not_found()
    sched = await session.get(ScheduledStatus, sid)
    if sched is None or sched.account_id != account_id or sched.state not in states:
        raise not_found()
    return sched


async def check_reschedule(
    session: AsyncSession, settings: Settings, sched: ScheduledStatus, scheduled_at: datetime
) -> ScheduledStatus:
    """Move a scheduled status (or a draft's planned time): the old job is dropped, a new one
    queued; a job already claimed for the old time finds the new time and does nothing."""
    check_lead_time(settings, scheduled_at)
    await _check_limits(session, settings, sched.account_id, scheduled_at, exclude=sched.id)
    await _drop_queued_job(session, sched)
    sched.scheduled_at = scheduled_at
    await session.flush()
    if sched.state == "scheduled":
        await _enqueue_publish(session, sched)
    return sched


async def do_cancel_scheduled(session: AsyncSession, sched: ScheduledStatus) -> None:
    """Delete a scheduled status or draft (as Mastodon does); its media stay unattached."""
    await _drop_queued_job(session, sched)
    await session.delete(sched)
    await session.flush()


async def do_publish_scheduled(session: AsyncSession, settings: Settings, sched: ScheduledStatus) -> Status:
    """Post it now, through the same action as `POST /api/v1/statuses`."""
    account = await session.get(Account, sched.account_id)
    if account is None or account.suspended_at is not None:
        raise unprocessable("The account is suspended")
    p = sched.params or {}
    reply = p.get("in_reply_to_id")
    # The audit trail names the staff member who wrote it, not whoever runs the publication
    # (the job runner, or the reviewer who approved it).
    previous = session.info.get(audit.ACTING_KEY)
    audit.set_acting(session, await _author_acting(session, sched))
    try:
        status = await check_create_status(
            session,
            settings,
            account,
            text=p.get("text") or "",
            visibility=p.get("visibility"),
            spoiler_text=p.get("spoiler_text") or "",
            sensitive=p.get("sensitive"),
            language=p.get("language"),
            in_reply_to_id=int(reply) if reply else None,
            application_id=sched.application_id,
            media_ids=list(sched.media_ids or []) or None,
        )
    finally:
        audit.set_acting(session, previous)
    sched.state = "published"
    sched.status_id = status.id
    await session.flush()
    return status


async def _author_acting(session: AsyncSession, sched: ScheduledStatus) -> audit.Acting | None:
    """The acting context of the post's author, if they are (still) staff of its account."""
    if sched.created_by_user_id is None:
        return None
    row = (
        await session.execute(
            select(InstitutionMember.role, User.account_id, Account.username)
            .join(User, User.id == InstitutionMember.user_id)
            .join(Account, Account.id == User.account_id)
            .where(
                InstitutionMember.institution_account_id == sched.account_id,
                InstitutionMember.user_id == sched.created_by_user_id,
            )
        )
    ).first()
    if row is None:
        return None
    role, staff_account_id, username = row
    return audit.Acting(sched.account_id, sched.created_by_user_id, staff_account_id, username, role)


async def _record_review(session: AsyncSession, draft: ScheduledStatus, user: User, action: str) -> None:
    staff = await session.get(Account, user.account_id)
    audit.record_by(
        session,
        draft.account_id,
        user_id=user.id,
        staff_account_id=user.account_id,
        staff_username=staff.username if staff else "",
        action=action,
        object_type="scheduled_status",
        object_id=draft.id,
        author_user_id=str(draft.created_by_user_id) if draft.created_by_user_id else None,
        text=audit.excerpt((draft.params or {}).get("text")),
    )


async def check_reviewer(session: AsyncSession, institution_id: int, user: User) -> InstitutionMember:
    """The user's membership if they may review the institution's drafts (owner or editor)."""
    member = await session.scalar(
        select(InstitutionMember).where(
            InstitutionMember.institution_account_id == institution_id, InstitutionMember.user_id == user.id
        )
    )
    if member is None or member.role not in REVIEWER_ROLES:
        raise forbidden("Only the institution's owners and editors review drafts")
    return member


def _not_author(draft: ScheduledStatus, user: User) -> None:
    if draft.created_by_user_id == user.id:
        raise forbidden("Another member must review this post; you wrote it")


async def check_approve_draft(
    session: AsyncSession, settings: Settings, draft: ScheduledStatus, user: User
) -> Status | None:
    """Record the approval; publish now, or schedule for its time if that is still ahead.
    Returns the status when published now."""
    _not_author(draft, user)
    draft.approved_by_user_id = user.id
    draft.approved_at = utcnow()
    await _record_review(session, draft, user, "draft.approve")
    if draft.scheduled_at is not None and draft.scheduled_at > utcnow():
        draft.state = "scheduled"
        await session.flush()
        await _enqueue_publish(session, draft)
        return None
    return await do_publish_scheduled(session, settings, draft)


async def check_reject_draft(session: AsyncSession, draft: ScheduledStatus, user: User) -> None:
    """Reject: kept as `rejected` with the reviewer and time (approved_by/approved_at record
    who reviewed it, whatever the verdict)."""
    _not_author(draft, user)
    draft.state = "rejected"
    draft.approved_by_user_id = user.id
    draft.approved_at = utcnow()
    await _record_review(session, draft, user, "draft.reject")
    await session.flush()


@job_handler(PUBLISH_JOB)
async def publish_scheduled(session: AsyncSession, settings: Settings, payload: dict[str, Any]) -> None:
    """Publish a due scheduled status. Cancelled, already published or rescheduled ones are
    left alone; one that can no longer be posted (media gone, reply parent deleted) fails."""
    sched = await session.get(ScheduledStatus, int(payload["scheduled_status_id"]), with_for_update=True)
    if sched is None or sched.state != "scheduled":
        return
    if sched.scheduled_at is not None and sched.scheduled_at > utcnow():
        return  # moved later: the job queued for the new time publishes it
    try:
        async with session.begin_nested():
            await do_publish_scheduled(session, settings, sched)
    except ApiError as exc:
        sched.state = "failed"
        await session.flush()
        raise JobFailed(f"scheduled status {sched.id} could not be published: {exc.message}") from None
