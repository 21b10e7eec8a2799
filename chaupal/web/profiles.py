"""Profile pages `/@username` (header, bio, counts, follow button, posts), followers and
following lists, and the follow / unfollow forms (the same actions as the API)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased

from chaupal.access import access_account, not_filtered_clause, visible_clause
from chaupal.actions.follows import check_follow, do_unfollow
from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.api.federation.common import wants_activity_json
from chaupal.api.paging import apply_page, finish
from chaupal.errors import ApiError
from chaupal.insights.analytics.access import may_read_analytics
from chaupal.models import Account, Block, Follow, Status
from chaupal.render.accounts import render_account, render_relationships
from chaupal.render.gov import render_account_detailed
from chaupal.web.i18n import t
from chaupal.web.session import current_web_user, render
from chaupal.web.views import (
    csrf_failed,
    form_params,
    is_partial,
    more_url,
    not_found_page,
    page_of,
    profile_account,
    sign_in_redirect,
    statuses_view,
)

router = APIRouter()


def profile_statuses_stmt(account_id: int, viewer_id: int | None) -> Any:
    """A profile's posts as the API lists them with exclude_replies: the viewer's visibility
    rule, self-replies (threads) kept, reblogs only of originals the viewer may see."""
    original = aliased(Status)
    return select(Status).where(
        Status.account_id == account_id,
        visible_clause(viewer_id),
        or_(Status.in_reply_to_id.is_(None), Status.in_reply_to_account_id == account_id),
        or_(
            Status.reblog_of_id.is_(None),
            exists().where(
                original.id == Status.reblog_of_id,
                visible_clause(viewer_id, original),
                not_filtered_clause(viewer_id, original),
            ),
        ),
    )


@router.get("/@{username}")
async def profile(username: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    if "@" not in username and wants_activity_json(request):  # ActivityPub: the actor (issue 7)
        return RedirectResponse(f"/users/{username}", status_code=302, headers={"Vary": "Accept"})
    web_user = await current_web_user(request, session)
    account = await profile_account(session, settings, username)
    if account is None:
        return not_found_page(request, web_user)
    viewer_id = web_user.account.id if web_user else None
    page = page_of(request, settings.page_statuses_default, settings.page_statuses_max)
    stmt = apply_page(profile_statuses_stmt(account.id, viewer_id), Status.id, page)
    rows = finish((await session.scalars(stmt)).all(), page)
    statuses = await statuses_view(session, settings, rows, viewer_id)
    relationship = None
    if web_user is not None and viewer_id != account.id:
        relationship = (await render_relationships(session, web_user.account, [account.id]))[0]
    ctx = {
        "web_user": web_user,
        "account": await render_account_detailed(session, settings, account),
        "is_self": viewer_id == account.id,
        "relationship": relationship,
        "statuses": statuses,
        "more_url": more_url(request, rows[-1].id) if len(rows) >= page.limit else None,
        "insights": web_user is not None
        and not is_partial(request)
        and await may_read_analytics(session, web_user.user, account.id),
    }
    return render(request, "_statuses.html" if is_partial(request) else "profile.html", ctx)


async def _follow_page(
    username: str, request: Request, session: Any, settings: Any, *, followers: bool
) -> Response:
    web_user = await current_web_user(request, session)
    account = await profile_account(session, settings, username)
    if account is None:
        return not_found_page(request, web_user)
    viewer_id = web_user.account.id if web_user else None
    page = page_of(request, settings.page_accounts_default, settings.page_accounts_max)
    rows: list[Any] = []
    hidden = viewer_id != account.id and (
        account.hide_collections
        or (
            viewer_id is not None
            and bool(
                await session.scalar(
                    select(exists().where(Block.account_id == account.id, Block.target_account_id == viewer_id))
                )
            )
        )
    )
    if not hidden:
        other = Follow.account_id if followers else Follow.target_account_id
        mine = Follow.target_account_id if followers else Follow.account_id
        stmt = (
            select(Follow.id, Account)
            .join(Account, Account.id == other)
            .where(and_(mine == account.id, Account.suspended_at.is_(None)))
        )
        rows = list(finish((await session.execute(apply_page(stmt, Follow.id, page))).all(), page))
    name = account.display_name or account.username
    return render(
        request,
        "accounts.html",
        {
            "web_user": web_user,
            "heading": t("followers.heading" if followers else "following.heading", name=name),
            "owner": render_account(settings, account),
            "accounts": [render_account(settings, a) for _, a in rows],
            "empty": t("accounts.hidden") if hidden else t("accounts.empty"),
            "more_url": more_url(request, rows[-1][0]) if len(rows) >= page.limit else None,
        },
    )


@router.get("/@{username}/followers")
async def followers_page(username: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    return await _follow_page(username, request, session, settings, followers=True)


@router.get("/@{username}/following")
async def following_page(username: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    return await _follow_page(username, request, session, settings, followers=False)


@router.post("/web/accounts/{account_id}/{kind}")
async def follow_action(
    account_id: str, kind: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    if kind not in ("follow", "unfollow"):
        return not_found_page(request, web_user)
    _, ok = await form_params(request)
    if not ok:
        return csrf_failed(request)
    try:
        target = await access_account(session, account_id)
        if kind == "follow":
            await check_follow(session, settings, web_user.account, target)
        else:
            await do_unfollow(session, web_user.account, target, settings=settings)
    except ApiError as exc:
        return render(request, "error.html", {"heading": "Not done", "message": exc.message, "web_user": web_user},
                      status_code=exc.status)
    return RedirectResponse(f"/@{target.acct}", status_code=303)
