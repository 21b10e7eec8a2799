"""Public government pages: /directory (hierarchy, filters, coverage) and /leaderboards
(ranks, rank changes, growth chart, external audiences shown apart). Same queries as the API."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.gov.coverage import coverage_report
from chaupal.gov.directory import DirectoryQuery, directory_tree, jurisdictions
from chaupal.gov.leaderboards import CATEGORIES, leaderboard, parse_period
from chaupal.models.gov import INSTITUTION_CATEGORIES
from chaupal.web.charts import Series, line_chart
from chaupal.web.i18n import t
from chaupal.web.session import current_web_user, render

router = APIRouter()
CHART_LINES = 5  # the chart draws the top accounts only; the table lists them all
PERIODS = (7, 30, 90, 365)


@router.get("/directory")
async def directory_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    qp = request.query_params
    category = qp.get("category", "")
    query = DirectoryQuery(
        jurisdiction=qp.get("jurisdiction", "").strip()[:128] or None,
        category=category if category in INSTITUTION_CATEGORIES else None,
        q=qp.get("q", "").strip()[:200] or None,
    )
    roots, truncated = await directory_tree(session, settings, query)
    coverage = await coverage_report(session, settings)
    return render(
        request,
        "directory.html",
        {
            "web_user": web_user,
            "roots": roots,
            "truncated": truncated,
            "query": query,
            "categories": INSTITUTION_CATEGORIES,
            "jurisdictions": await jurisdictions(session),
            "coverage": coverage,
            "activity_days": settings.directory_activity_days,
        },
    )


@router.get("/leaderboards")
async def leaderboards_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    category = request.query_params.get("category", "ministries")
    if category not in CATEGORIES:
        category = "ministries"
    days = parse_period(request.query_params.get("period"), settings) or parse_period(None, settings)
    assert days is not None
    board = await leaderboard(
        session, settings, category, period_days=days, limit=settings.leaderboard_size_default
    )
    series = [
        Series(
            e["account"]["display_name"] or e["account"]["acct"],
            [(date.fromisoformat(p["day"]), p["followers"]) for p in e["series"]],
        )
        for e in board["entries"][:CHART_LINES]
    ]
    chart = line_chart(series, title=t("leaderboards.chart_title", days=days))
    external = [(e, p) for e in board["entries"] for p in e["external_presences"]]
    periods = sorted({*(p for p in PERIODS if p <= settings.leaderboard_period_days_max), days})
    return render(
        request,
        "leaderboards.html",
        {
            "web_user": web_user,
            "board": board,
            "category": category,
            "categories": CATEGORIES,
            "days": days,
            "periods": periods,
            "chart": chart,
            "external": external,
        },
    )
