"""Mastodon API: filing reports (`POST /api/v1/reports`) and the moderators' side of them
(`/api/v1/admin/reports`: list, show, resolve, reopen) in Mastodon's Report and Admin::Report
shapes. Reports are `ModerationFlag(kind="report")` rows; see chaupal.actions.reports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions.reports import (
    KIND,
    do_file_report,
    do_reopen_report,
    do_resolve_report,
    parse_id,
)
from chaupal.api.chaupal.gov_admin import staff
from chaupal.api.deps import Auth, SessionDep, SettingsDep, require_user
from chaupal.api.mastodon.admin import render_admin_account
from chaupal.api.paging import apply_page, finish, page_from, set_link
from chaupal.api.params import parse
from chaupal.config import Settings
from chaupal.errors import not_found
from chaupal.models import Account, ModerationFlag, Status, User
from chaupal.render import iso
from chaupal.render.accounts import render_account
from chaupal.render.statuses import render_statuses

router = APIRouter()
WriteReports = Annotated[Auth, Depends(require_user("write:reports"))]
# `admin:read` / `admin:write` grant these too (chaupal.security.scope_allows).
ReportsRead = Annotated[Auth, staff("admin:read:reports")]
ReportsWrite = Annotated[Auth, staff("admin:write:reports")]


def _str_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (str, int)):
        return [str(value)]
    if isinstance(value, list) and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        return [str(v) for v in value]
    raise ValueError("must be a list of ids")


class ReportParams(BaseModel):
    account_id: str
    status_ids: list[str] = []
    comment: str | None = None
    forward: bool = False
    forward_to_domains: list[str] = []
    category: str | None = None
    rule_ids: list[str] = []

    @field_validator("account_id", mode="before")
    @classmethod
    def _account(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("status_ids", "forward_to_domains", "rule_ids", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> list[str]:
        return _str_list(value)


def render_report(settings: Settings, report: ModerationFlag, target: Account) -> dict[str, Any]:
    """Mastodon's Report entity (what the reporter sees)."""
    detail = report.detail or {}
    return {
        "id": str(report.id),
        "action_taken": report.resolved_at is not None,
        "action_taken_at": iso(report.resolved_at),
        "category": detail.get("category") or "other",
        "comment": detail.get("comment") or "",
        "forwarded": bool(detail.get("forwarded")),
        "created_at": iso(report.created_at),
        "status_ids": list(detail.get("status_ids") or []),
        "rule_ids": list(detail.get("rule_ids") or []) or None,
        "target_account": render_account(settings, target),
    }


@router.post("/api/v1/reports")
async def file_report(
    request: Request, auth: WriteReports, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    params = await parse(request, ReportParams)
    assert auth.account is not None
    report, target, _ = await do_file_report(
        session,
        settings,
        auth.account,
        account_id=params.account_id,
        status_ids=params.status_ids,
        comment=params.comment or "",
        category=params.category,
        rule_ids=params.rule_ids,
        forward=params.forward,
    )
    return render_report(settings, report, target)


# --- moderators ---------------------------------------------------------------------------


class AdminListParams(BaseModel):
    resolved: bool = False
    account_id: str | None = None
    target_account_id: str | None = None


async def _admin_account(session: AsyncSession, settings: Settings, account_id: int | None) -> dict[str, Any] | None:
    if account_id is None:
        return None
    account = await session.get(Account, account_id)
    if account is None:
        return None
    user = await session.scalar(select(User).where(User.account_id == account.id))
    return render_admin_account(settings, account, user)


async def render_admin_report(
    session: AsyncSession, settings: Settings, report: ModerationFlag, viewer_id: int | None
) -> dict[str, Any]:
    """Mastodon's Admin::Report. `assigned_account` is always null (no assignment here);
    `updated_at` is the last resolve time, else the creation time; `rules` is empty (no server
    rules). For a report another server sent us as a Flag, `account` is that server's actor."""
    detail = report.detail or {}
    ids = [int(i) for i in detail.get("status_ids") or [] if str(i).isdigit()]
    statuses: list[Status] = []
    if ids:
        found = {s.id: s for s in (await session.scalars(select(Status).where(Status.id.in_(ids)))).all()}
        statuses = [found[i] for i in ids if i in found]
    return {
        "id": str(report.id),
        "action_taken": report.resolved_at is not None,
        "action_taken_at": iso(report.resolved_at),
        "category": detail.get("category") or "other",
        "comment": detail.get("comment") or "",
        "forwarded": bool(detail.get("forwarded")),
        "created_at": iso(report.created_at),
        "updated_at": iso(report.resolved_at or report.created_at),
        "account": await _admin_account(session, settings, report.related_account_id),
        "target_account": await _admin_account(session, settings, report.account_id),
        "assigned_account": None,
        "action_taken_by_account": await _admin_account(session, settings, report.resolved_by_account_id),
        "statuses": await render_statuses(session, settings, statuses, viewer_id) if statuses else [],
        "rules": [],
    }


def _report_id(raw: str) -> int:
    return parse_id(raw)


async def _load(session: AsyncSession, raw: str) -> ModerationFlag:
    report = await session.get(ModerationFlag, _report_id(raw))
    if report is None or report.kind != KIND:
        raise not_found()
    return report


def _optional_id(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    return _report_id(raw)


@router.get("/api/v1/admin/reports")
async def admin_reports(
    request: Request, response: Response, auth: ReportsRead, session: SessionDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    """Open reports (`resolved=true`: resolved ones), newest first, paged by id; filters
    `account_id` (the reporter) and `target_account_id`."""
    params = await parse(request, AdminListParams)
    page = page_from(request, settings.page_accounts_default, settings.page_accounts_max)
    stmt = select(ModerationFlag.id, ModerationFlag).where(
        ModerationFlag.kind == KIND,
        ModerationFlag.resolved_at.is_not(None) if params.resolved else ModerationFlag.resolved_at.is_(None),
    )
    if (reporter := _optional_id(params.account_id)) is not None:
        stmt = stmt.where(ModerationFlag.related_account_id == reporter)
    if (target := _optional_id(params.target_account_id)) is not None:
        stmt = stmt.where(ModerationFlag.account_id == target)
    rows = finish((await session.execute(apply_page(stmt, ModerationFlag.id, page))).all(), page)
    set_link(request, response, [row_id for row_id, _ in rows])
    viewer = auth.account.id if auth.account else None
    return [await render_admin_report(session, settings, r, viewer) for _, r in rows]


@router.get("/api/v1/admin/reports/{report_id}")
async def admin_report(report_id: str, auth: ReportsRead, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    report = await _load(session, report_id)
    return await render_admin_report(session, settings, report, auth.account.id if auth.account else None)


@router.post("/api/v1/admin/reports/{report_id}/resolve")
async def admin_resolve(report_id: str, auth: ReportsWrite, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    report = await do_resolve_report(session, await _load(session, report_id), auth.account)
    return await render_admin_report(session, settings, report, auth.account.id if auth.account else None)


@router.post("/api/v1/admin/reports/{report_id}/reopen")
async def admin_reopen(report_id: str, auth: ReportsWrite, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    report = await do_reopen_report(session, await _load(session, report_id))
    return await render_admin_report(session, settings, report, auth.account.id if auth.account else None)
