"""Approval drafts of an institution: its owners and editors list the posts waiting for
approval and approve (publish now, or at the post's scheduled time) or reject them; nobody
reviews their own post. Works with a staff member's own token or a delegated one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from chaupal.actions.scheduled import (
    access_scheduled,
    check_approve_draft,
    check_reject_draft,
    check_reviewer,
)
from chaupal.api.deps import Auth, ReadStatuses, SessionDep, SettingsDep, WriteStatuses
from chaupal.api.paging import apply_page, finish, page_from, set_link
from chaupal.errors import not_found
from chaupal.models import ScheduledStatus
from chaupal.render.scheduled import render_scheduled_status, render_scheduled_statuses
from chaupal.render.statuses import render_status

router = APIRouter(prefix="/api/chaupal/v1/institutions/{account_id}/drafts", tags=["drafts"])


def _institution_id(account_id: str) -> int:
    try:
        value = int(account_id)
    except ValueError:
        raise not_found() from None
    if not 0 <= value < 2**63:
        raise not_found()
    return value


async def _reviewer(session: Any, auth: Auth, account_id: str) -> int:
    assert auth.user is not None
    institution_id = _institution_id(account_id)
    await check_reviewer(session, institution_id, auth.user)
    return institution_id


@router.get("")
async def list_drafts(
    account_id: str,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: ReadStatuses,
) -> Any:
    institution_id = await _reviewer(session, auth, account_id)
    page = page_from(request, settings.page_statuses_default, settings.page_statuses_max)
    stmt = select(ScheduledStatus).where(
        ScheduledStatus.account_id == institution_id, ScheduledStatus.state == "pending_approval"
    )
    rows = finish((await session.scalars(apply_page(stmt, ScheduledStatus.id, page))).all(), page)
    set_link(request, response, [r.id for r in rows])
    return await render_scheduled_statuses(session, settings, rows)


@router.post("/{draft_id}/approve")
async def approve_draft(
    account_id: str, draft_id: str, session: SessionDep, settings: SettingsDep, auth: WriteStatuses
) -> Any:
    institution_id = await _reviewer(session, auth, account_id)
    assert auth.user is not None
    draft = await access_scheduled(session, institution_id, draft_id, ("pending_approval",))
    status = await check_approve_draft(session, settings, draft, auth.user)
    out = await render_scheduled_status(session, settings, draft)
    if status is not None:
        viewer = auth.account.id if auth.account is not None else None
        out["chaupal"]["status"] = await render_status(session, settings, status, viewer)
    return out


@router.post("/{draft_id}/reject")
async def reject_draft(
    account_id: str, draft_id: str, session: SessionDep, settings: SettingsDep, auth: WriteStatuses
) -> Any:
    institution_id = await _reviewer(session, auth, account_id)
    assert auth.user is not None
    draft = await access_scheduled(session, institution_id, draft_id, ("pending_approval",))
    await check_reject_draft(session, draft, auth.user)
    return await render_scheduled_status(session, settings, draft)
