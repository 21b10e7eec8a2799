"""Web pages for later posts: the compose form's "schedule for" branch, `/scheduled` (the current
account's scheduled posts and drafts, with cancel) and `/drafts` (owners and editors of the
institution the session acts for approve or reject) — the same actions as the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions.scheduled import (
    PENDING,
    access_scheduled,
    check_approve_draft,
    check_reject_draft,
    check_reviewer,
    check_schedule_status,
    do_cancel_scheduled,
    needs_approval,
    parse_scheduled_at,
)
from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError, unprocessable
from chaupal.models import ScheduledStatus
from chaupal.render.scheduled import render_scheduled_statuses
from chaupal.web.session import WebUser, current_web_user, render
from chaupal.web.views import csrf_failed, form_params, sign_in_redirect, text_param

router = APIRouter()
PAGE_LIMIT = 100  # rows shown on /scheduled and /drafts (the account's limit is 300 in all)


def _form_time(params: dict[str, Any]) -> datetime | None:
    """The form's `scheduled_at` (datetime-local, no zone) shifted by the browser's `tz_offset`
    (minutes, as JavaScript's getTimezoneOffset) when sent; UTC otherwise."""
    raw = text_param(params, "scheduled_at").strip()
    if not raw:
        return None
    when = parse_scheduled_at(raw)
    offset = text_param(params, "tz_offset").strip()
    if offset.lstrip("-").isdigit() and abs(int(offset)) <= 24 * 60:
        when += timedelta(minutes=int(offset))
    return when


async def schedule_from_form(
    session: AsyncSession,
    settings: Settings,
    web_user: WebUser,
    params: dict[str, Any],
    *,
    reply_id: int | None,
    media_ids: list[int] | None,
) -> str | None:
    """For the compose form: where to go when the post was scheduled or held for approval;
    None when it should be published now."""
    when = _form_time(params)
    if when is not None and when <= utcnow():
        raise unprocessable("Validation failed: Scheduled at The scheduled date must be in the future")
    hold = await needs_approval(session, web_user.user, web_user.account)
    if when is None and not hold:
        return None
    await check_schedule_status(
        session,
        settings,
        web_user.account,
        user=web_user.user,
        text=text_param(params, "status"),
        scheduled_at=when,
        pending_approval=hold,
        visibility=text_param(params, "visibility") or None,
        spoiler_text=text_param(params, "spoiler_text"),
        in_reply_to_id=reply_id,
        media_ids=media_ids,
    )
    return "/scheduled"


async def _rows(session: AsyncSession, account_id: int, states: tuple[str, ...]) -> list[ScheduledStatus]:
    stmt = (
        select(ScheduledStatus)
        .where(ScheduledStatus.account_id == account_id, ScheduledStatus.state.in_(states))
        .order_by(ScheduledStatus.scheduled_at.is_(None), ScheduledStatus.scheduled_at, ScheduledStatus.id)
        .limit(PAGE_LIMIT)
    )
    return list((await session.scalars(stmt)).all())


def _page(request: Request, web_user: WebUser, name: str, items: list[dict[str, Any]], **extra: Any) -> Response:
    for item in items:  # the time as text for the page, in UTC
        at = item.get("scheduled_at")
        item["when"] = (
            datetime.fromisoformat(at).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
            if at
            else None
        )
    return render(request, name, {"web_user": web_user, "items": items, **extra})


@router.get("/scheduled")
async def scheduled_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    rows = await _rows(session, web_user.account.id, PENDING)
    return _page(request, web_user, "scheduled.html", await render_scheduled_statuses(session, settings, rows))


@router.post("/scheduled/{scheduled_id}/cancel")
async def cancel_scheduled(scheduled_id: str, request: Request, session: SessionDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    _, ok = await form_params(request)
    if not ok:
        return csrf_failed(request)
    try:
        sched = await access_scheduled(session, web_user.account.id, scheduled_id)
    except ApiError as exc:
        return _error(request, web_user, exc)
    await do_cancel_scheduled(session, sched)
    return RedirectResponse("/scheduled", status_code=303)


def _error(request: Request, web_user: WebUser, exc: ApiError) -> Response:
    return render(
        request, "error.html", {"heading": "Not done", "message": exc.message, "web_user": web_user},
        status_code=exc.status,
    )


@router.get("/drafts")
async def drafts_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    try:
        await check_reviewer(session, web_user.account.id, web_user.user)
    except ApiError as exc:
        return _error(request, web_user, exc)
    rows = await _rows(session, web_user.account.id, ("pending_approval",))
    items = await render_scheduled_statuses(session, settings, rows)
    for item, row in zip(items, rows, strict=True):
        item["mine"] = row.created_by_user_id == web_user.user.id
    return _page(request, web_user, "drafts.html", items)


@router.post("/drafts/{draft_id}/{verdict}")
async def review_draft(
    draft_id: str, verdict: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    _, ok = await form_params(request)
    if not ok:
        return csrf_failed(request)
    try:
        if verdict not in ("approve", "reject"):
            raise ApiError(404, "Record not found")
        await check_reviewer(session, web_user.account.id, web_user.user)
        draft = await access_scheduled(session, web_user.account.id, draft_id, ("pending_approval",))
        if verdict == "approve":
            await check_approve_draft(session, settings, draft, web_user.user)
        else:
            await check_reject_draft(session, draft, web_user.user)
    except ApiError as exc:
        return _error(request, web_user, exc)
    return RedirectResponse("/drafts", status_code=303)
