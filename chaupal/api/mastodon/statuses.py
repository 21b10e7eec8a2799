"""Mastodon API: statuses — post, read, edit, delete, history, source, context, and the
interactions on a status (favourite, reblog, bookmark, pin) with who favourited or reblogged it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import String, cast, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from chaupal.access import access_status, not_filtered_clause, visible_clause
from chaupal.actions.statuses import check_create_status, check_edit_status, do_delete_status
from chaupal.api.deps import (
    MaybeReadStatuses,
    ReadStatuses,
    SessionDep,
    SettingsDep,
    WriteStatuses,
)
from chaupal.api.mastodon.scheduled_statuses import schedule_or_hold
from chaupal.api.mastodon.status_interactions import router as interactions_router
from chaupal.api.params import parse, query_params, validate
from chaupal.errors import not_found, unprocessable
from chaupal.insights.analytics.opens import record_open
from chaupal.models import Account, Status, StatusEdit
from chaupal.render import iso
from chaupal.render.accounts import render_account
from chaupal.render.statuses import render_status, render_statuses

router = APIRouter(prefix="/api/v1/statuses", tags=["statuses"])


class StatusCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: str | None = None
    spoiler_text: str | None = None
    sensitive: bool | None = None
    visibility: str | None = None
    language: str | None = None
    in_reply_to_id: str | int | None = None
    media_ids: list[str | int] | None = None
    poll: dict[str, Any] | None = None
    scheduled_at: str | None = None


class StatusEditIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: str | None = None
    spoiler_text: str | None = None
    sensitive: bool | None = None
    language: str | None = None
    media_ids: list[str | int] | None = None
    media_attributes: list[dict[str, Any]] | None = None
    poll: dict[str, Any] | None = None


class ManyIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: list[str] | str = []


def _refuse_unsupported(poll: Any) -> None:
    if poll:
        raise unprocessable("polls are not supported yet")


def _viewer(auth: Any) -> Account | None:
    return auth.account if auth is not None else None


def _viewer_id(auth: Any) -> int | None:
    account = _viewer(auth)
    return account.id if account is not None else None


async def _own(session: AsyncSession, auth: Any, status_id: str) -> Status:
    """A status the caller wrote; others' statuses are 404, as in Mastodon."""
    status = await access_status(session, auth.account.id, status_id)
    if status.account_id != auth.account.id:
        raise not_found()
    return status


@router.post("")
async def create_status(
    request: Request, session: SessionDep, settings: SettingsDep, auth: WriteStatuses
) -> Any:
    body = await parse(request, StatusCreate)
    _refuse_unsupported(body.poll)
    reply_to: int | None = None
    if body.in_reply_to_id not in (None, ""):
        try:
            reply_to = int(body.in_reply_to_id)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise not_found() from None
    later = await schedule_or_hold(  # scheduled_at, or an editor's post awaiting approval
        session, settings, auth, scheduled_at=body.scheduled_at, text=body.status or "",
        visibility=body.visibility or None, spoiler_text=body.spoiler_text or "",
        sensitive=body.sensitive, language=body.language, in_reply_to_id=reply_to,
        media_ids=body.media_ids,
    )
    if later is not None:
        return later
    key = request.headers.get("idempotency-key")
    status = await check_create_status(
        session,
        settings,
        auth.account,
        text=body.status or "",
        visibility=body.visibility or None,
        spoiler_text=body.spoiler_text or "",
        sensitive=body.sensitive,
        language=body.language,
        in_reply_to_id=reply_to,
        application_id=auth.application.id if auth.application else None,
        idempotency_key=key,
        media_ids=body.media_ids,
        user=auth.user,
    )
    # Without an Idempotency-Key the status was just created, so nobody has favourited,
    # bookmarked or reblogged it: render it without asking (a replayed key returns an old one).
    return await render_status(session, settings, status, auth.account.id, fresh=not key)


@router.get("")
async def get_statuses(
    request: Request, session: SessionDep, settings: SettingsDep, auth: MaybeReadStatuses
) -> Any:
    raw = validate(ManyIn, query_params(request)).id
    ids_raw = [raw] if isinstance(raw, str) else raw
    if len(ids_raw) > settings.page_statuses_max:
        raise unprocessable(f"Too many IDs (maximum is {settings.page_statuses_max})")
    ids = []
    for value in ids_raw:
        try:
            n = int(value)
        except ValueError:
            continue
        if 0 <= n < 2**63:
            ids.append(n)
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    viewer_id = _viewer_id(auth)
    original = aliased(Status)
    original_ok = or_(
        Status.reblog_of_id.is_(None),
        exists().where(original.id == Status.reblog_of_id, visible_clause(viewer_id, original)),
    )
    rows = (
        await session.scalars(
            select(Status).where(Status.id.in_(ids), visible_clause(viewer_id), original_ok)
        )
    ).all()
    by_id = {s.id: s for s in rows}
    ordered = [by_id[i] for i in ids if i in by_id]
    return await render_statuses(session, settings, ordered, viewer_id)


@router.get("/{status_id}")
async def get_status(
    status_id: str, request: Request, session: SessionDep, settings: SettingsDep, auth: MaybeReadStatuses
) -> Any:
    viewer_id = _viewer_id(auth)
    status = await access_status(session, viewer_id, status_id)
    if status.reblog_of_id is not None:  # a reblog shows its original: that must be visible too
        await access_status(session, viewer_id, status.reblog_of_id)
    else:
        record_open(request, status, viewer_id)  # analytics: counted in memory, written in batches
    return await render_status(session, settings, status, viewer_id)


@router.delete("/{status_id}")
async def delete_status(
    status_id: str, session: SessionDep, settings: SettingsDep, auth: WriteStatuses
) -> Any:
    status = await _own(session, auth, status_id)
    data = await render_status(session, settings, status, auth.account.id, with_source=True)
    await do_delete_status(session, status, settings=settings)
    return data


@router.put("/{status_id}")
async def edit_status(
    status_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: WriteStatuses,
) -> Any:
    status = await _own(session, auth, status_id)
    body = await parse(request, StatusEditIn)
    _refuse_unsupported(body.poll)
    status = await check_edit_status(
        session,
        settings,
        auth.account,
        status,
        text=body.status or "",
        spoiler_text=body.spoiler_text or "",
        sensitive=body.sensitive,
        language=body.language,
        media_ids=body.media_ids,
        media_attributes=body.media_attributes,
    )
    return await render_status(session, settings, status, auth.account.id)


@router.get("/{status_id}/history")
async def status_history(
    status_id: str, session: SessionDep, settings: SettingsDep, auth: MaybeReadStatuses
) -> Any:
    status = await access_status(session, _viewer_id(auth), status_id)
    account = await session.get(Account, status.account_id)
    assert account is not None
    account_json = render_account(settings, account)
    edits = (
        await session.scalars(
            select(StatusEdit)
            .where(StatusEdit.status_id == status.id)
            .order_by(StatusEdit.created_at, StatusEdit.id)
        )
    ).all()
    versions: list[Any] = list(edits) or [status]
    return [
        {
            "content": v.content,
            "spoiler_text": v.spoiler_text,
            "sensitive": v.sensitive,
            "created_at": iso(
                v.created_at
                if isinstance(v, StatusEdit)
                else (status.edited_at or status.created_at)
            ),
            "account": account_json,
            "poll": None,
            "media_attachments": [],
            "emojis": [],
        }
        for v in versions
    ]


@router.get("/{status_id}/source")
async def status_source(status_id: str, session: SessionDep, auth: ReadStatuses) -> Any:
    status = await _own(session, auth, status_id)
    return {"id": str(status.id), "text": status.text, "spoiler_text": status.spoiler_text}


def _pad(dialect: str, column: Any) -> Any:
    """An ID as fixed-width text, so that string order of paths is tree (depth-first) order."""
    if dialect == "sqlite":
        return func.printf("%020d", column)
    return func.lpad(cast(column, String), 20, "0")


async def _ancestors(
    session: AsyncSession, status: Status, viewer_id: int | None, limit: int
) -> list[Status]:
    if status.in_reply_to_id is None:
        return []
    up = (
        select(Status.id, Status.in_reply_to_id, literal(1).label("depth"))
        .where(Status.id == status.in_reply_to_id)
        .cte("ancestors", recursive=True)
    )
    up = up.union_all(
        select(Status.id, Status.in_reply_to_id, (up.c.depth + 1).label("depth")).where(
            Status.id == up.c.in_reply_to_id, up.c.depth < limit
        )
    )
    stmt = (
        select(Status)
        .join(up, up.c.id == Status.id)
        .where(visible_clause(viewer_id), not_filtered_clause(viewer_id))
        .order_by(up.c.depth.desc())
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def _descendants(
    session: AsyncSession, status: Status, viewer_id: int | None, limit: int, dialect: str
) -> list[Status]:
    down = (
        select(Status.id, _pad(dialect, Status.id).label("path"), literal(1).label("depth"))
        .where(Status.in_reply_to_id == status.id)
        .cte("descendants", recursive=True)
    )
    down = down.union_all(
        select(
            Status.id,
            (down.c.path + "/" + _pad(dialect, Status.id)).label("path"),
            (down.c.depth + 1),
        ).where(Status.in_reply_to_id == down.c.id, down.c.depth < limit)
    )
    stmt = (
        select(Status)
        .join(down, down.c.id == Status.id)
        .where(visible_clause(viewer_id), not_filtered_clause(viewer_id))
        .order_by(down.c.path)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


@router.get("/{status_id}/context")
async def status_context(
    status_id: str, session: SessionDep, settings: SettingsDep, auth: MaybeReadStatuses
) -> Any:
    viewer_id = _viewer_id(auth)
    status = await access_status(session, viewer_id, status_id)
    if viewer_id is None:
        up_limit = settings.context_ancestors_limit_anonymous
        down_limit = settings.context_descendants_limit_anonymous
    else:
        up_limit = down_limit = settings.context_limit
    dialect = session.get_bind().dialect.name
    ancestors = await _ancestors(session, status, viewer_id, up_limit)
    descendants = await _descendants(session, status, viewer_id, down_limit, dialect)
    rendered = await render_statuses(session, settings, ancestors + descendants, viewer_id)
    return {"ancestors": rendered[: len(ancestors)], "descendants": rendered[len(ancestors) :]}


router.include_router(interactions_router)  # favourite, reblog, bookmark, pin and their lists
