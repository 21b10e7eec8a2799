"""Mastodon API: markers (saved read positions in the home and notifications timelines)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select

from chaupal.actions.markers import TIMELINES, do_save_marker
from chaupal.api.deps import ReadStatuses, SessionDep, WriteStatuses
from chaupal.api.params import all_params, query_params
from chaupal.errors import unprocessable
from chaupal.models import Marker
from chaupal.render import iso

router = APIRouter()


def render_marker(marker: Marker) -> dict[str, Any]:
    return {
        "last_read_id": str(marker.last_read_id),
        "version": marker.version,
        "updated_at": iso(marker.updated_at),
    }


@router.get("/api/v1/markers")
async def get_markers(request: Request, auth: ReadStatuses, session: SessionDep) -> dict[str, Any]:
    assert auth.user is not None
    wanted = query_params(request).get("timeline", [])
    if isinstance(wanted, str):
        wanted = [wanted]
    timelines = [t for t in wanted if t in TIMELINES] if isinstance(wanted, list) else []
    if not timelines:
        return {}
    rows = await session.scalars(
        select(Marker).where(Marker.user_id == auth.user.id, Marker.timeline.in_(timelines))
    )
    return {m.timeline: render_marker(m) for m in rows.all()}


@router.post("/api/v1/markers")
async def save_markers(request: Request, auth: WriteStatuses, session: SessionDep) -> dict[str, Any]:
    assert auth.user is not None
    params = await all_params(request)
    updates: dict[str, int] = {}
    for timeline in TIMELINES:
        value = params.get(timeline)
        if value is None:
            continue
        last = value.get("last_read_id") if isinstance(value, dict) else None
        if isinstance(last, int) and not isinstance(last, bool):
            last = str(last)
        if not isinstance(last, str) or not last.isdigit() or len(last) > 19:
            raise unprocessable(f"{timeline}[last_read_id] must be an ID")
        if int(last) > 2**63 - 1:
            raise unprocessable(f"{timeline}[last_read_id] must be an ID")
        updates[timeline] = int(last)
    if not updates:
        raise unprocessable("give home[last_read_id] or notifications[last_read_id]")
    saved = {}
    for timeline, last_read_id in updates.items():
        saved[timeline] = render_marker(await do_save_marker(session, auth.user.id, timeline, last_read_id))
    return saved
