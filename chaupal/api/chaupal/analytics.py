"""GET /api/chaupal/v1/accounts/:id/analytics: an account's engagement report for a period,
by day or calendar quarter, as JSON or CSV (`format=csv`). The account itself, and an
institution's owners and analysts, may read it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from chaupal.api.deps import Auth, SessionDep, SettingsDep, require_user
from chaupal.api.params import parse
from chaupal.db import utcnow
from chaupal.errors import unprocessable
from chaupal.insights.analytics.access import access_analytics
from chaupal.insights.analytics.report import account_report, parse_query, report_csv

router = APIRouter()
ReadAnalytics = Annotated[Auth, Depends(require_user("read:accounts"))]


class AnalyticsParams(BaseModel):
    from_: str | None = Field(default=None, alias="from", max_length=32)
    to: str | None = Field(default=None, max_length=32)
    granularity: str | None = Field(default=None, max_length=16)
    format: str | None = Field(default=None, max_length=8)


@router.get("/api/chaupal/v1/accounts/{account_id}/analytics")
async def account_analytics(
    account_id: str, request: Request, session: SessionDep, settings: SettingsDep, auth: ReadAnalytics
) -> Any:
    assert auth.user is not None
    account = await access_analytics(session, auth.user, account_id)
    params = await parse(request, AnalyticsParams)
    if params.format not in (None, "", "json", "csv"):
        raise unprocessable("format must be json or csv")
    today = utcnow().date()
    query = parse_query(settings, today, params.from_, params.to, params.granularity)
    report = await account_report(session, settings, account, query, today)
    if params.format == "csv":
        name = f"analytics-{account.username}-{query.first}-{query.last}-{query.granularity}.csv"
        return Response(
            report_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return report
