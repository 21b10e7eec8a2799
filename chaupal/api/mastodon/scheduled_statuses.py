"""Mastodon API: scheduled statuses — list, show, reschedule, cancel — and the branch of
`POST /api/v1/statuses` that schedules a post (`scheduled_at`) or holds it for approval."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from chaupal.actions.scheduled import (
    PENDING,
    access_scheduled,
    check_reschedule,
    check_schedule_status,
    do_cancel_scheduled,
    needs_approval,
    parse_scheduled_at,
)
from chaupal.api.deps import Auth, ReadStatuses, SessionDep, SettingsDep, WriteStatuses
from chaupal.api.paging import apply_page, finish, page_from, set_link
from chaupal.api.params import parse
from chaupal.db import utcnow
from chaupal.models import ScheduledStatus
from chaupal.render.scheduled import render_scheduled_status, render_scheduled_statuses

router = APIRouter(prefix="/api/v1/scheduled_statuses", tags=["scheduled_statuses"])


class RescheduleIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    scheduled_at: str | None = None


async def schedule_or_hold(
    session: Any,
    settings: Any,
    auth: Auth,
    *,
    scheduled_at: str | None,
    text: str,
    visibility: str | None,
    spoiler_text: str,
    sensitive: bool | None,
    language: str | None,
    in_reply_to_id: int | None,
    media_ids: list[Any] | None,
) -> dict[str, Any] | None:
    """For `POST /api/v1/statuses`: a ScheduledStatus entity when the post is scheduled or
    must wait for approval; None when it should be published now (a past `scheduled_at` posts
    at once, as in Mastodon)."""
    assert auth.account is not None
    when = parse_scheduled_at(scheduled_at) if scheduled_at else None
    if when is not None and when <= utcnow():
        when = None
    hold = await needs_approval(session, auth.user, auth.account)
    if when is None and not hold:
        return None
    sched = await check_schedule_status(
        session,
        settings,
        auth.account,
        user=auth.user,
        text=text,
        scheduled_at=when,
        pending_approval=hold,
        visibility=visibility,
        spoiler_text=spoiler_text,
        sensitive=sensitive,
        language=language,
        in_reply_to_id=in_reply_to_id,
        application_id=auth.application.id if auth.application else None,
        media_ids=media_ids,
    )
    return await render_scheduled_status(session, settings, sched)


@router.get("")
async def list_scheduled(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep, auth: ReadStatuses
) -> Any:
    assert auth.account is not None
    page = page_from(request, settings.page_statuses_default, settings.page_statuses_max)
    stmt = select(ScheduledStatus).where(
        ScheduledStatus.account_id == auth.account.id, ScheduledStatus.state.in_(PENDING)
    )
    rows = finish((await session.scalars(apply_page(stmt, ScheduledStatus.id, page))).all(), page)
    set_link(request, response, [r.id for r in rows])
    return await render_scheduled_statuses(session, settings, rows)


@router.get("/{scheduled_id}")
async def get_scheduled(
    scheduled_id: str, session: SessionDep, settings: SettingsDep, auth: ReadStatuses
) -> Any:
    assert auth.account is not None
    sched = await access_scheduled(session, auth.account.id, scheduled_id)
    return await render_scheduled_status(session, settings, sched)


@router.put("/{scheduled_id}")
async def update_scheduled(
    scheduled_id: str, request: Request, session: SessionDep, settings: SettingsDep, auth: WriteStatuses
) -> Any:
    assert auth.account is not None
    sched = await access_scheduled(session, auth.account.id, scheduled_id)
    body = await parse(request, RescheduleIn)
    if body.scheduled_at:
        sched = await check_reschedule(session, settings, sched, parse_scheduled_at(body.scheduled_at))
    return await render_scheduled_status(session, settings, sched)


@router.delete("/{scheduled_id}")
async def cancel_scheduled(scheduled_id: str, session: SessionDep, auth: WriteStatuses) -> Any:
    assert auth.account is not None
    sched = await access_scheduled(session, auth.account.id, scheduled_id)
    await do_cancel_scheduled(session, sched)
    return {}
