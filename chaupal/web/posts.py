"""Post pages and writes: the thread page `/@username/ID`, composing (text, content warning,
visibility, reply, one media file with alt text), boost, favourite and delete — all through
the same actions the API uses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from chaupal.access import access_status
from chaupal.actions import interactions
from chaupal.actions.scheduled import needs_approval
from chaupal.actions.statuses import check_create_status, do_delete_status
from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.api.federation.common import wants_activity_json
from chaupal.api.mastodon.statuses import _ancestors, _descendants
from chaupal.config import Settings
from chaupal.errors import ApiError
from chaupal.events import discard_pending
from chaupal.insights.analytics.opens import record_open
from chaupal.models import Status
from chaupal.web.session import WebUser, current_web_user, render, safe_next
from chaupal.web.views import (
    csrf_failed,
    form_params,
    not_found_page,
    profile_account,
    sign_in_redirect,
    statuses_view,
    text_param,
)

router = APIRouter()


async def _thread(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    web_user: WebUser | None,
    status: Status,
    *,
    draft: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    viewer_id = web_user.account.id if web_user else None
    if viewer_id is None:
        up, down = settings.context_ancestors_limit_anonymous, settings.context_descendants_limit_anonymous
    else:
        up = down = settings.context_limit
    ancestors = await _ancestors(session, status, viewer_id, up)
    descendants = await _descendants(session, status, viewer_id, down, session.get_bind().dialect.name)
    rendered = await statuses_view(session, settings, [*ancestors, status, *descendants], viewer_id)
    focus = rendered[len(ancestors)]
    return render(
        request,
        "thread.html",
        {
            "web_user": web_user,
            "ancestors": rendered[: len(ancestors)],
            "focus": focus,
            "descendants": rendered[len(ancestors) + 1 :],
            "reply_to": focus,
            "compose_id": "reply",
            "compose_next": request.url.path,
            "compose_error": error,
            "draft": draft or {},
            "default_visibility": "public",
        },
        status_code=status_code,
    )


@router.get("/@{username}/{status_id}")
async def thread_page(
    username: str, status_id: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    if "@" not in username and wants_activity_json(request):  # ActivityPub: the Note (issue 7)
        to = f"/users/{username}/statuses/{status_id}"
        return RedirectResponse(to, status_code=302, headers={"Vary": "Accept"})
    web_user = await current_web_user(request, session)
    viewer_id = web_user.account.id if web_user else None
    account = await profile_account(session, settings, username)
    try:
        status = await access_status(session, viewer_id, status_id)
        if status.reblog_of_id is not None:
            status = await access_status(session, viewer_id, status.reblog_of_id)
    except ApiError:
        return not_found_page(request, web_user)
    if account is None or status.account_id != account.id:
        return not_found_page(request, web_user)
    record_open(request, status, viewer_id)  # analytics: counted in memory, written in batches
    return await _thread(request, session, settings, web_user, status)


def _upload(params: dict[str, Any]) -> Any:
    from chaupal.actions.media import Upload

    value = params.get("file")
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    return Upload(value.file, value.filename, value.content_type)


@router.post("/web/statuses")
async def compose(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    params, ok = await form_params(request)
    if not ok:
        return csrf_failed(request)
    next_url = safe_next(params.get("next"), "/home")
    posting_as = text_param(params, "as_account")
    if posting_as and posting_as != str(web_user.account.id):
        # The account switcher was used in another tab after this form was loaded.
        return render(
            request, "error.html",
            {"heading": "Not posted", "web_user": web_user,
             "message": f"You now act as @{web_user.account.username}, not the account this form was "
                        "opened for. Nothing was posted; go back and check before posting again."},
            status_code=409,
        )
    reply_id = text_param(params, "in_reply_to_id") or None
    draft = {
        k: text_param(params, k)
        for k in ("status", "spoiler_text", "visibility", "description", "scheduled_at")
    }
    upload = _upload(params)
    try:
        if draft["scheduled_at"].strip() or await needs_approval(session, web_user.user, web_user.account):
            return await _later(session, settings, web_user, params, reply_id, upload)
        status = await check_create_status(
            session,
            settings,
            web_user.account,
            text=draft["status"],
            visibility=draft["visibility"] or None,
            spoiler_text=draft["spoiler_text"],
            in_reply_to_id=int(reply_id) if reply_id and reply_id.isdigit() else None,
        )
        if upload is not None:
            from chaupal.actions.media import check_upload_media, do_attach_media

            media = await check_upload_media(
                session, settings, web_user.account, upload, description=draft["description"] or None
            )
            await do_attach_media(session, settings, web_user.account, status, [media.id])
    except ApiError as exc:
        discard_pending(session)
        await session.rollback()
        web_user = await current_web_user(request, session)  # reloaded: rollback expired it
        assert web_user is not None
        message = exc.message.removeprefix("Validation failed: ")
        if reply_id:
            try:
                parent = await access_status(session, web_user.account.id, reply_id)
            except ApiError:
                return not_found_page(request, web_user)
            return await _thread(
                request, session, settings, web_user, parent, draft=draft, error=message,
                status_code=exc.status,
            )
        from chaupal.web.timelines import home_page

        return await home_page(
            request, session, settings, web_user, draft=draft, error=message, status_code=exc.status
        )
    target = next_url + (f"#status-{status.id}" if reply_id else "")
    return RedirectResponse(target, status_code=303)


async def _later(
    session: AsyncSession, settings: Settings, web_user: WebUser, params: dict[str, Any],
    reply_id: str | None, upload: Any,
) -> Response:
    """Scheduled ("schedule for") or held for approval: the upload is stored now and attached
    when the post is published."""
    from chaupal.actions.media import check_upload_media
    from chaupal.web.scheduled import schedule_from_form

    media_ids = None
    if upload is not None:
        media = await check_upload_media(
            session, settings, web_user.account, upload,
            description=text_param(params, "description") or None,
        )
        media_ids = [media.id]
    target = await schedule_from_form(
        session, settings, web_user, params,
        reply_id=int(reply_id) if reply_id and reply_id.isdigit() else None, media_ids=media_ids,
    )
    return RedirectResponse(target or "/home", status_code=303)


async def _interaction(request: Request, session: AsyncSession, settings: Settings, status_id: str, kind: str) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    params, ok = await form_params(request)
    if not ok:
        return csrf_failed(request)
    account = web_user.account
    try:
        status = await access_status(session, account.id, status_id)
        if kind == "favourite":
            await interactions.check_favourite(session, account, status, settings=settings)
        elif kind == "unfavourite":
            await interactions.do_unfavourite(session, account, status, settings=settings)
        elif kind == "reblog":
            await interactions.check_reblog(session, settings, account, status, "public")
        elif kind == "unreblog":
            await interactions.do_unreblog(session, account, status, settings=settings)
        elif kind == "delete":
            if status.account_id != account.id:
                return not_found_page(request, web_user)
            await do_delete_status(session, status, settings=settings)
    except ApiError as exc:
        return render(request, "error.html", {"heading": "Not done", "message": exc.message, "web_user": web_user},
                      status_code=exc.status)
    back = request.headers.get("referer", "")
    target = safe_next(params.get("next"), "")
    if not target and back.startswith(str(request.base_url)):
        target = "/" + back[len(str(request.base_url)):]
    if kind == "delete" or not target:
        target = "/home"
    elif "#" not in target:
        target += f"#status-{status_id}"
    return RedirectResponse(target, status_code=303)


@router.post("/web/statuses/{status_id}/{kind}")
async def status_action(
    status_id: str, kind: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    if kind not in ("favourite", "unfavourite", "reblog", "unreblog", "delete"):
        return not_found_page(request, None)
    return await _interaction(request, session, settings, status_id, kind)
