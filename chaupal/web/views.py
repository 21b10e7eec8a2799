"""Shared pieces of the web pages: who is signed in, paging from the query string, statuses
rendered through the API's renderer (plus their media), and answers for forms."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.api.params import body_params
from chaupal.config import Settings
from chaupal.lib.paging import Page, PageError, parse_page
from chaupal.models import Account, Status
from chaupal.render.media import render_media_for_statuses
from chaupal.render.statuses import render_statuses
from chaupal.web.session import WebUser, csrf_valid, render


def page_of(request: Request, default: int, maximum: int) -> Page:
    """max_id paging from the query string, as the API pages; a malformed cursor is ignored."""
    params = {k: v for k, v in request.query_params.items() if k in ("max_id", "limit")}
    try:
        return parse_page(params, default, maximum)
    except PageError:
        return Page(limit=default)


def more_url(request: Request, last_id: int | None) -> str | None:
    """The "load more" address: this page with max_id set to the last row's cursor."""
    if last_id is None:
        return None
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("max_id", "partial")]
    query.append(("max_id", str(last_id)))
    return f"{quote(request.url.path)}?{urlencode(query)}"


def is_partial(request: Request) -> bool:
    """htmx "load more" asks for the list items only (the page itself works without JS)."""
    return request.headers.get("HX-Request") == "true" and request.query_params.get("partial") == "1"


async def statuses_view(
    session: AsyncSession, settings: Settings, rows: list[Status], viewer_id: int | None
) -> list[dict[str, Any]]:
    """Mastodon Status dicts (the API renderer) with media attachments filled in."""
    rendered = await render_statuses(session, settings, rows, viewer_id)
    inner = [s["reblog"] or s for s in rendered]
    missing = [int(s["id"]) for s in inner if not s.get("media_attachments")]
    if missing:
        media = await render_media_for_statuses(session, settings, missing)
        for s in inner:
            if not s.get("media_attachments"):
                s["media_attachments"] = media.get(int(s["id"]), [])
    return rendered


async def local_account(session: AsyncSession, username: str) -> Account | None:
    """A local, not suspended account by `username` (`@user` and case are ignored); a
    `user@domain` is never taken for the local `user` (see `profile_account`)."""
    name, _, domain = username.lstrip("@").partition("@")
    if domain:
        return None
    name = name.lower()
    account = await session.scalar(
        select(Account).where(Account.username_lower == name, Account.domain == "")
    )
    if account is None or account.suspended_at is not None:
        return None
    return account


async def profile_account(session: AsyncSession, settings: Settings, acct: str) -> Account | None:
    """The account a profile path names: `user` or `user@our.domain` (local), or a remote
    `user@domain` this server holds (issue 7); not suspended."""
    from chaupal.federation.lookup import known_account, split_handle

    acct = acct.lstrip("@")
    handle = split_handle(settings, acct) if "@" in acct else (acct, "")
    if handle is None or not handle[0]:
        return None
    return await known_account(session, *handle)


def sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/auth/sign_in?{urlencode({'next': target})}", status_code=303)


def csrf_failed(request: Request) -> Response:
    return render(
        request,
        "error.html",
        {"heading": "Form expired",
         "message": "The form's security token is missing or wrong; go back, reload and try again."},
        status_code=403,
    )


def not_found_page(request: Request, web_user: WebUser | None) -> Response:
    return render(
        request,
        "error.html",
        {"heading": "Not found", "message": "This page does not exist or is not visible to you.",
         "web_user": web_user},
        status_code=404,
    )


async def form_params(request: Request) -> tuple[dict[str, Any], bool]:
    """The posted form (parsed as the API parses bodies), and whether its CSRF token is valid."""
    params = await body_params(request)
    return params, csrf_valid(request, params.get("csrf_token"))


def text_param(params: dict[str, Any], name: str, default: str = "") -> str:
    value = params.get(name, default)
    return value if isinstance(value, str) else default

