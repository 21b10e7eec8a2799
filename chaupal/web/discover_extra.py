"""The /explore page: trending hashtags, links and posts (approved trends, all languages) and,
signed in, who to follow with follow and dismiss buttons (the API's own queries and actions)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from chaupal.access import access_account
from chaupal.actions.suggestions import do_dismiss_suggestion
from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.api.mastodon.trends import load_statuses, render_link, trending_tags
from chaupal.errors import ApiError
from chaupal.insights.suggest.live import cache_of, suggestions_for
from chaupal.insights.trends.query import public_trends
from chaupal.render.accounts import render_account
from chaupal.web.session import current_web_user, render
from chaupal.web.views import (
    csrf_failed,
    form_params,
    not_found_page,
    sign_in_redirect,
    statuses_view,
)

router = APIRouter()
SUGGESTIONS_SHOWN = 10


@router.get("/explore")
async def explore(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    viewer_id = web_user.account.id if web_user else None
    tags = await trending_tags(session, settings, "", 0, settings.trends_tags_default)
    link_rows = await public_trends(session, settings, "link", "", offset=0, limit=settings.trends_links_default)
    status_rows = await public_trends(
        session, settings, "status", "", offset=0, limit=settings.trends_statuses_default, viewer_id=viewer_id
    )
    statuses = await statuses_view(session, settings, await load_statuses(session, status_rows), viewer_id)
    suggestions = []
    if web_user is not None:
        found = await suggestions_for(
            session, settings, cache_of(request.app.state, settings), web_user.account.id, SUGGESTIONS_SHOWN
        )
        suggestions = [
            {"account": render_account(settings, account), "sources": sources} for account, sources in found
        ]
    return render(
        request,
        "explore.html",
        {
            "web_user": web_user,
            "tags": [{**t, "week_accounts": sum(int(h["accounts"]) for h in t["history"])} for t in tags],
            "links": [render_link(r) for r in link_rows],
            "statuses": statuses,
            "suggestions": suggestions,
        },
    )


@router.post("/explore/suggestions/{account_id}/dismiss")
async def dismiss(account_id: str, request: Request, session: SessionDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    _, ok = await form_params(request)
    if not ok:
        return csrf_failed(request)
    try:
        target = await access_account(session, account_id)
    except ApiError:
        return not_found_page(request, web_user)
    await do_dismiss_suggestion(session, web_user.account, target)
    return RedirectResponse("/explore#who-to-follow", status_code=303)
