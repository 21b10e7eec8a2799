"""Live home timeline for the web page: Server-Sent Events carrying rendered status HTML
(the htmx SSE extension inserts them), fed by the after-commit event hub. A reconnecting
browser sends Last-Event-ID and first gets what it missed."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import exists, or_, select

from chaupal.access import not_filtered_clause, visible_clause
from chaupal.api.deps import SessionDep
from chaupal.db import utcnow
from chaupal.events import Event, hub_of
from chaupal.feeds.sql import home_filter, home_timeline
from chaupal.lib.ids import id_floor
from chaupal.lib.paging import Page
from chaupal.metrics import stream_connection
from chaupal.models import Account, Follow, Status
from chaupal.web.session import csrf_token, current_web_user, templates
from chaupal.web.views import statuses_view

router = APIRouter()

POLL_SECONDS = 1.0  # how often an idle stream checks whether the server is shutting down


def server_exiting() -> bool:
    """True once uvicorn (whose Server.handle_exit owns SIGTERM while serving) is shutting
    down: open streams then end, instead of holding a graceful shutdown open forever."""
    server = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    return bool(getattr(server, "should_exit", False))


CURSOR_MARGIN = timedelta(seconds=5)  # covers posts committed but not yet published


def cursor_now() -> str:
    """An ID below any status posted from (a little before) now: sent as the SSE `id`, so a
    browser that reconnects (Last-Event-ID) gets what it missed; it drops duplicates."""
    return str(id_floor(utcnow() - CURSOR_MARGIN))


def on_home_clause(viewer_id: int) -> Any:
    """A status belongs on the viewer's home timeline (the SQL feed's rules, for one row)."""
    return (
        or_(
            Status.account_id == viewer_id,
            exists().where(Follow.account_id == viewer_id, Follow.target_account_id == Status.account_id),
        ),
        visible_clause(viewer_id),
        not_filtered_clause(viewer_id),
        home_filter(viewer_id),
    )


def sse(event: str, html: str, event_id: str | None = None) -> str:
    lines = [f"event: {event}"]
    if event_id:
        lines.append(f"id: {event_id}")
    lines.extend(f"data: {line}" for line in html.splitlines() or [""])
    return "\n".join(lines) + "\n\n"


async def render_for_home(
    app: Any, viewer_id: int, status_ids: list[int], csrf: str, web_user: Any
) -> list[tuple[str, str]]:
    """(id, HTML) of those statuses that belong on the viewer's home timeline, oldest first."""
    settings = app.state.settings
    async with app.state.read_sessions() as session:
        rows = list(
            (
                await session.scalars(
                    select(Status).where(Status.id.in_(status_ids), *on_home_clause(viewer_id)).order_by(Status.id)
                )
            ).all()
        )
        rendered = await statuses_view(session, settings, rows, viewer_id)
    template = templates().env.get_template("_stream_status.html")
    return [
        (s["id"], template.render(s=s, web_user=web_user, csrf_token=csrf, settings=settings))
        for s in rendered
    ]


async def home_events(
    request: Request, viewer: Account, web_user: Any, last_id: int | None
) -> AsyncIterator[str]:
    app = request.app
    csrf, _ = csrf_token(request)
    loop = asyncio.get_running_loop()
    settings = app.state.settings
    deadline = loop.time() + settings.stream_max_seconds
    with hub_of(app.state).subscribe() as sub, stream_connection("web_sse"):
        yield "retry: 3000\n\n"
        if last_id is not None:
            async with app.state.read_sessions() as session:
                missed = await home_timeline(
                    session, viewer, Page(since_id=last_id, limit=app.state.settings.page_statuses_max)
                )
            ids = [s.id for s in missed]
            for sid, html in await render_for_home(app, viewer.id, ids, csrf, web_user):
                yield sse("status", html, sid)
        else:
            yield f"id: {cursor_now()}\n\n"
        idle = 0.0
        while loop.time() < deadline and not sub.overflowed and not server_exiting():
            try:
                event: Event = await asyncio.wait_for(sub.get(), POLL_SECONDS)
            except TimeoutError:
                idle += POLL_SECONDS
                if idle >= settings.stream_keepalive_seconds:
                    idle = 0.0
                    yield f"id: {cursor_now()}\n: keepalive\n\n"
                continue
            idle = 0.0
            if event.get("type") != "status.created":
                continue
            for sid, html in await render_for_home(
                app, viewer.id, [int(event["status_id"])], csrf, web_user
            ):
                yield sse("status", html, sid)


@router.get("/web/stream/home")
async def stream_home(request: Request, session: SessionDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return Response(status_code=401)
    # A reconnect sends Last-Event-ID; the page's first connect says where its list ends.
    raw = request.headers.get("last-event-id") or request.query_params.get("since_id", "")
    last_id = int(raw) if raw.isdigit() and len(raw) < 20 else None
    return StreamingResponse(
        home_events(request, web_user.account, web_user, last_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
