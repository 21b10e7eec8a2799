"""Timeline pages: home (signed in; also `/` for a signed-in user), the public timeline (the
landing page for visitors) and hashtag pages, each with "load more" by max_id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.api.mastodon.timelines import PublicParams, _public_stmt, _tag_ids, _tagged, tag_key
from chaupal.api.paging import apply_page, finish
from chaupal.feeds.sql import home_timeline
from chaupal.models import Status, Tag, User
from chaupal.web.i18n import t
from chaupal.web.session import WebUser, current_web_user, render
from chaupal.web.stream import cursor_now
from chaupal.web.views import is_partial, more_url, page_of, sign_in_redirect, statuses_view

router = APIRouter()


async def _list_page(
    request: Request,
    template_ctx: dict[str, Any],
    rows: list[Status],
    statuses: list[dict[str, Any]],
    web_user: WebUser | None,
    limit: int,
    *,
    status_code: int = 200,
) -> Response:
    ctx = {
        "web_user": web_user,
        "statuses": statuses,
        "more_url": more_url(request, rows[-1].id) if len(rows) >= limit else None,
        **template_ctx,
    }
    name = "_statuses.html" if is_partial(request) else "timeline.html"
    return render(request, name, ctx, status_code=status_code)


def stream_url(rows: list[Status]) -> str:
    """The live stream for this home page, starting after its newest status."""
    since = rows[0].id if rows else int(cursor_now())
    return f"/web/stream/home?since_id={since}"


async def home_page(
    request: Request,
    session: Any,
    settings: Any,
    web_user: WebUser,
    *,
    draft: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    page = page_of(request, settings.page_statuses_default, settings.page_statuses_max)
    rows = await home_timeline(session, web_user.account, page)
    statuses = await statuses_view(session, settings, rows, web_user.account.id)
    default_visibility = await session.scalar(
        select(User.default_visibility).where(User.id == web_user.user.id)
    )
    return await _list_page(
        request,
        {
            "heading": t("home.heading"),
            "show_compose": page.max_id is None,
            "compose_next": "/home",
            "default_visibility": default_visibility or "public",
            "draft": draft or {},
            "compose_error": error,
            "stream_url": stream_url(rows) if page.max_id is None else None,
            "empty": t("home.empty"),
            "notice": t("compose.posted") if request.query_params.get("posted") else None,
        },
        rows,
        statuses,
        web_user,
        page.limit,
        status_code=status_code,
    )


async def public_page(
    request: Request, session: Any, settings: Any, web_user: WebUser | None, *, landing: bool
) -> Response:
    page = page_of(request, settings.page_statuses_default, settings.page_statuses_max)
    viewer_id = web_user.account.id if web_user else None
    stmt = apply_page(_public_stmt(PublicParams(local=True), viewer_id), Status.id, page)
    rows = finish((await session.scalars(stmt)).all(), page)
    statuses = await statuses_view(session, settings, rows, viewer_id)
    return await _list_page(
        request,
        {"heading": t("public.heading"), "landing": landing, "intro": settings.description if landing else None},
        rows,
        statuses,
        web_user,
        page.limit,
    )


@router.get("/")
async def landing(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is not None:
        return await home_page(request, session, settings, web_user)
    return await public_page(request, session, settings, None, landing=True)


@router.get("/home")
async def home(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    return await home_page(request, session, settings, web_user)


@router.get("/public")
async def public(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    return await public_page(request, session, settings, web_user, landing=False)


@router.get("/tags/{name}")
async def tag_page(name: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    viewer_id = web_user.account.id if web_user else None
    page = page_of(request, settings.page_statuses_default, settings.page_statuses_max)
    tag = await session.scalar(select(Tag).where(Tag.name_lower == tag_key(name)))
    rows: list[Status] = []
    if tag is not None:
        ids = await _tag_ids(session, [name])
        stmt = _public_stmt(PublicParams(), viewer_id).where(_tagged(ids))
        rows = list(finish((await session.scalars(apply_page(stmt, Status.id, page))).all(), page))
    statuses = await statuses_view(session, settings, rows, viewer_id)
    shown = tag.name if tag is not None else name.strip().lstrip("#")
    return await _list_page(
        request,
        {"heading": f"#{shown}", "empty": t("tag.empty")},
        rows,
        statuses,
        web_user,
        page.limit,
    )
