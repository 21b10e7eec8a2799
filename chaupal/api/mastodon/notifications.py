"""Mastodon API: notifications — list (with type and account filters), get, dismiss,
clear, and the unread count since the notifications marker."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, field_validator
from sqlalchemy import Select, and_, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import visible_clause
from chaupal.api.deps import ReadNotifications, SessionDep, SettingsDep, WriteNotifications
from chaupal.api.paging import apply_page, finish, page_from, set_link
from chaupal.api.params import parse
from chaupal.errors import ApiError, not_found
from chaupal.models import Account, Block, Marker, Mute, Notification, Status
from chaupal.render.notifications import render_notifications

router = APIRouter()


def _as_list(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return list(value.values())
    return value


class ListParams(BaseModel):
    types: list[str] = []
    exclude_types: list[str] = []
    account_id: int | None = None

    _lists = field_validator("types", "exclude_types", mode="before")(_as_list)


class DismissParams(BaseModel):
    id: int


def shown_clause(viewer_id: int) -> Any:
    """Notifications the viewer sees: not from accounts they block, or mute with notifications
    hidden, or that are suspended; and about a status they can still see, if any."""
    return and_(
        Notification.account_id == viewer_id,
        ~exists().where(
            Block.account_id == viewer_id, Block.target_account_id == Notification.from_account_id
        ),
        ~exists().where(
            Mute.account_id == viewer_id,
            Mute.target_account_id == Notification.from_account_id,
            Mute.hide_notifications.is_(True),
        ),
        ~exists().where(
            Account.id == Notification.from_account_id, Account.suspended_at.is_not(None)
        ),
        or_(
            Notification.status_id.is_(None),
            exists().where(Status.id == Notification.status_id, visible_clause(viewer_id)),
        ),
    )


def _filtered(stmt: Select[Any], params: ListParams) -> Select[Any]:
    if params.types:
        stmt = stmt.where(Notification.type.in_(params.types))
    if params.exclude_types:
        stmt = stmt.where(Notification.type.not_in(params.exclude_types))
    if params.account_id is not None:
        stmt = stmt.where(Notification.from_account_id == params.account_id)
    return stmt


@router.get("/api/v1/notifications")
async def list_notifications(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: ReadNotifications,
) -> list[dict[str, Any]]:
    assert auth.account is not None
    params = await parse(request, ListParams)
    page = page_from(request, settings.page_notifications_default, settings.page_notifications_max)
    stmt = _filtered(select(Notification).where(shown_clause(auth.account.id)), params)
    rows = finish((await session.scalars(apply_page(stmt, Notification.id, page))).all(), page)
    set_link(request, response, [n.id for n in rows])
    return await render_notifications(session, settings, rows, auth.account.id)


@router.get("/api/v1/notifications/unread_count")
async def unread_count(
    request: Request, session: SessionDep, settings: SettingsDep, auth: ReadNotifications
) -> dict[str, int]:
    """Notifications newer than the `notifications` marker, counted up to `limit`."""
    assert auth.account is not None and auth.user is not None
    params = await parse(request, ListParams)
    raw = request.query_params.get("limit")
    limit = settings.notifications_unread_count_default
    if raw not in (None, ""):
        try:
            limit = int(raw)
        except ValueError:
            raise ApiError(400, "limit must be an integer") from None
        if limit < 1:
            raise ApiError(400, "limit must be positive")
        limit = min(limit, settings.notifications_unread_count_max)
    last_read = await session.scalar(
        select(Marker.last_read_id).where(
            Marker.user_id == auth.user.id, Marker.timeline == "notifications"
        )
    )
    stmt = _filtered(select(Notification.id).where(shown_clause(auth.account.id)), params)
    if last_read:
        stmt = stmt.where(Notification.id > last_read)
    count = await session.scalar(select(func.count()).select_from(stmt.limit(limit).subquery()))
    return {"count": int(count or 0)}


async def _own(session: AsyncSession, viewer_id: int, raw_id: str) -> Notification:
    try:
        nid = int(raw_id)
    except ValueError:
        raise not_found() from None
    if not 0 <= nid < 2**63:
        raise not_found()
    row = await session.scalar(
        select(Notification).where(Notification.id == nid, shown_clause(viewer_id))
    )
    if row is None:
        raise not_found()
    return row


@router.get("/api/v1/notifications/{notification_id}")
async def get_notification(
    notification_id: str, session: SessionDep, settings: SettingsDep, auth: ReadNotifications
) -> dict[str, Any]:
    assert auth.account is not None
    row = await _own(session, auth.account.id, notification_id)
    rendered = await render_notifications(session, settings, [row], auth.account.id)
    if not rendered:
        raise not_found()
    return rendered[0]


@router.post("/api/v1/notifications/clear")
async def clear(session: SessionDep, auth: WriteNotifications) -> dict[str, Any]:
    assert auth.account is not None
    await session.execute(delete(Notification).where(Notification.account_id == auth.account.id))
    return {}


async def _dismiss(session: AsyncSession, viewer_id: int, raw_id: str) -> dict[str, Any]:
    row = await _own(session, viewer_id, raw_id)
    await session.execute(delete(Notification).where(Notification.id == row.id))
    return {}


@router.post("/api/v1/notifications/{notification_id}/dismiss")
async def dismiss(
    notification_id: str, session: SessionDep, auth: WriteNotifications
) -> dict[str, Any]:
    assert auth.account is not None
    return await _dismiss(session, auth.account.id, notification_id)


@router.post("/api/v1/notifications/dismiss")
async def dismiss_legacy(
    request: Request, session: SessionDep, auth: WriteNotifications
) -> dict[str, Any]:
    """The pre-3.1 form, still sent by some clients: the ID in the body."""
    assert auth.account is not None
    params = await parse(request, DismissParams)
    return await _dismiss(session, auth.account.id, str(params.id))
