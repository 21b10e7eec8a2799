"""The live reaction monitor page: /monitor (pick a post, hashtag, keyword or account) and
/monitor/panel (the server-rendered charts and lists, re-fetched by static/monitor.js each time
the reaction stream reports new numbers)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError
from chaupal.insights.monitor.aggregate import reactions
from chaupal.insights.monitor.subjects import resolve_subject
from chaupal.insights.monitor.window import resolve_window
from chaupal.models import Account
from chaupal.web.i18n import t
from chaupal.web.monitor_charts import COLOURS, series_chart, share_bars
from chaupal.web.session import current_web_user, render

router = APIRouter()
KINDS = ("status", "tag", "keyword", "account")
WINDOWS = ("", "1h", "6h", "24h", "7d")  # "" = the default (a post: since it was posted)
_TRAILING_ID = re.compile(r"(\d{1,20})/?$")


async def subject_from_form(session: AsyncSession, kind: str, value: str) -> str | None:
    """The stream's `subject` for what the form says: a post id or URL, a hashtag, a keyword,
    an account's @username (or id)."""
    value = value.strip()[:500]
    if not value:
        return None
    if kind == "status":
        m = _TRAILING_ID.search(value)
        return f"status:{m.group(1)}" if m else "status:x"
    if kind == "tag":
        return f"tag:{value.lstrip('#')}"
    if kind == "keyword":
        return f"keyword:{value}"
    name = value.lstrip("@").split("@")[0].casefold()
    if name.isdigit():
        return f"account:{name}"
    account_id = await session.scalar(
        select(Account.id).where(Account.username_lower == name, Account.domain == "")
    )
    return f"account:{account_id if account_id is not None else 'x'}"


async def panel_context(
    request: Request, session: AsyncSession, settings: Settings, subject_raw: str, window: str, bucket: str
) -> dict[str, Any]:
    web_user = await current_web_user(request, session)
    viewer = web_user.account.id if web_user is not None else None
    subject = await resolve_subject(session, settings, viewer, subject_raw)
    win = resolve_window(settings, utcnow(), window or None, bucket or None, subject.started_at)
    data = await reactions(session, settings, subject, viewer, win)
    query = urlencode({k: v for k, v in (("subject", subject.name), ("window", window), ("bucket", bucket)) if v})
    return {
        "web_user": web_user,
        "data": data,
        "query": query,
        "chart": series_chart(data, title=t("monitor.chart_title")),
        "sentiment_chart": share_bars(
            [(k, data["sentiment"][k]) for k in ("positive", "neutral", "negative")],
            title=t("monitor.sentiment"), colours=COLOURS,
        ),
        "language_chart": share_bars(
            [(row["language"], row["count"]) for row in data["languages"]], title=t("monitor.languages")
        ),
    }


@router.get("/monitor")
async def monitor_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    qp = request.query_params
    kind = qp.get("kind", "status") if qp.get("kind") in KINDS else "status"
    value = qp.get("value", "")
    window = qp.get("window", "") if qp.get("window", "") in WINDOWS else ""
    ctx: dict[str, Any] = {
        "web_user": await current_web_user(request, session),
        "kinds": KINDS, "kind": kind, "value": value[:500], "windows": WINDOWS, "window": window,
        "data": None, "error": None,
    }
    status_code = 200
    subject = qp.get("subject") or await subject_from_form(session, kind, value)
    if subject:
        try:
            ctx.update(await panel_context(request, session, settings, subject, window, ""))
        except ApiError as exc:
            ctx["error"] = exc.message if exc.status != 404 else t("monitor.not_found")
            status_code = exc.status
    return render(request, "monitor.html", ctx, status_code=status_code)


@router.get("/monitor/panel")
async def monitor_panel(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    qp = request.query_params
    try:
        ctx = await panel_context(
            request, session, settings, qp.get("subject", ""), qp.get("window", "")[:16], qp.get("bucket", "")[:16]
        )
    except ApiError as exc:
        return render(request, "monitor_error.html", {"error": exc.message}, status_code=exc.status)
    return render(request, "monitor_panel.html", ctx)
