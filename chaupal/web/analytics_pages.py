"""The analytics dashboard /@username/analytics (totals, SVG charts of followers, engagement per
day and per quarter, top posts, best and worst days) and its exports analytics.csv / .json,
for the account itself and an institution's owners and analysts (same rule as the API)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.db import utcnow
from chaupal.errors import ApiError
from chaupal.insights.analytics.access import may_read_analytics
from chaupal.insights.analytics.report import ReportQuery, account_report, parse_query, report_csv
from chaupal.models import Account
from chaupal.web.charts import Series, line_chart
from chaupal.web.charts_bar import bar_chart
from chaupal.web.session import WebUser, current_web_user, render
from chaupal.web.views import local_account, not_found_page, sign_in_redirect

router = APIRouter()
ENGAGEMENT_LINES = ("replies", "reposts", "favourites")


def _forbidden(request: Request, web_user: WebUser) -> Response:
    return render(
        request, "error.html",
        {"heading": "Not allowed", "web_user": web_user,
         "message": "Only the account itself, and an institution's owners and analysts, may see its analytics."},
        status_code=403,
    )


async def _load(
    request: Request, session: Any, settings: Any, username: str
) -> tuple[WebUser | None, Account | None, ReportQuery | None, Response | None]:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return None, None, None, sign_in_redirect(request)
    account = await local_account(session, username)
    if account is None:
        return web_user, None, None, not_found_page(request, web_user)
    if not await may_read_analytics(session, web_user.user, account.id):
        return web_user, account, None, _forbidden(request, web_user)
    qp = request.query_params
    try:
        query = parse_query(settings, utcnow().date(), qp.get("from"), qp.get("to"), qp.get("granularity"))
    except ApiError as exc:
        return web_user, account, None, render(
            request, "error.html", {"heading": "Invalid period", "message": exc.message, "web_user": web_user},
            status_code=422,
        )
    return web_user, account, query, None


@router.get("/@{username}/analytics")
async def analytics_page(username: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user, account, query, refusal = await _load(request, session, settings, username)
    if refusal is not None:
        return refusal
    assert account is not None and query is not None
    today = utcnow().date()
    report = await account_report(session, settings, account, query, today)
    quarters = await account_report(
        session, settings, account, ReportQuery(query.first, query.last, "quarter"), today
    )
    days = report["series"]
    followers = Series("Followers", [(date.fromisoformat(d["period"]), d["followers"]) for d in days])
    engagement = [
        Series(m.capitalize(), [(date.fromisoformat(d["period"]), d[m]) for d in days]) for m in ENGAGEMENT_LINES
    ]
    span = f"from={query.first.isoformat()}&to={query.last.isoformat()}"
    return render(
        request,
        "analytics.html",
        {
            "web_user": web_user,
            "account": account,
            "report": report,
            "quarters": quarters["series"],
            "query": query,
            "followers_chart": line_chart([followers], title="Followers at the end of each day"),
            "engagement_chart": line_chart(engagement, title="Replies, reposts and favourites per day"),
            "quarter_chart": bar_chart(
                [(q["period"], q["engagement"]) for q in quarters["series"]],
                title="Engagement (replies, reposts, favourites) per quarter",
            ),
            "csv_url": f"/@{account.username}/analytics.csv?{span}",
            "json_url": f"/@{account.username}/analytics.json?{span}",
            "quarter_csv_url": f"/@{account.username}/analytics.csv?{span}&granularity=quarter",
        },
    )


@router.get("/@{username}/analytics.csv")
async def analytics_csv(username: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    _web_user, account, query, refusal = await _load(request, session, settings, username)
    if refusal is not None:
        return refusal
    assert account is not None and query is not None
    report = await account_report(session, settings, account, query, utcnow().date())
    name = f"analytics-{account.username}-{query.first}-{query.last}-{query.granularity}.csv"
    return Response(
        report_csv(report), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/@{username}/analytics.json")
async def analytics_json(username: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    _web_user, account, query, refusal = await _load(request, session, settings, username)
    if refusal is not None:
        return refusal
    assert account is not None and query is not None
    report = await account_report(session, settings, account, query, utcnow().date())
    name = f"analytics-{account.username}-{query.first}-{query.last}-{query.granularity}.json"
    return JSONResponse(report, headers={"Content-Disposition": f'attachment; filename="{name}"'})
