"""Search and notifications pages, through the API's own queries and renderers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.api.mastodon.notifications import shown_clause
from chaupal.api.mastodon.search import search_accounts, search_hashtags, search_statuses
from chaupal.api.paging import apply_page, finish
from chaupal.lib.paging import Page
from chaupal.models import Notification
from chaupal.render.accounts import render_account
from chaupal.render.notifications import render_notifications
from chaupal.web.session import current_web_user, render
from chaupal.web.views import more_url, page_of, sign_in_redirect, statuses_view

router = APIRouter()


@router.get("/search")
async def search_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    viewer = web_user.account if web_user else None
    q = request.query_params.get("q", "").strip()[:200]
    accounts, tags, statuses = [], [], []
    if q:
        limit = settings.search_max_results // 2 or 1
        if not q.startswith("#"):
            accounts = await search_accounts(
                session, settings, q, viewer, following=False, limit=limit, offset=0
            )
        if not q.startswith("@"):
            tags = await search_hashtags(session, q, limit=limit, offset=0)
        if viewer is not None and not q.startswith(("#", "@")):
            rows = await search_statuses(
                session, q, viewer, account_id=None, page=Page(limit=settings.page_statuses_default), offset=0
            )
            statuses = await statuses_view(session, settings, rows, viewer.id)
    return render(
        request,
        "search.html",
        {
            "web_user": web_user,
            "q": q,
            "accounts": [render_account(settings, a) for a in accounts],
            "tags": tags,
            "statuses": statuses,
        },
    )


@router.get("/notifications")
async def notifications_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    page = page_of(request, settings.page_notifications_default, settings.page_notifications_max)
    stmt = select(Notification).where(shown_clause(web_user.account.id))
    rows = finish((await session.scalars(apply_page(stmt, Notification.id, page))).all(), page)
    items = await render_notifications(session, settings, rows, web_user.account.id)
    return render(
        request,
        "notifications.html",
        {
            "web_user": web_user,
            "notifications": items,
            "more_url": more_url(request, rows[-1].id) if len(rows) >= page.limit else None,
        },
    )
