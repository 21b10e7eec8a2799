"""The reaction monitor's API: the same JSON for a post, a hashtag, a keyword or an account's
mentions, and the live stream (SSE) of it. Public data only; a token is optional."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.api.deps import Auth, SessionDep, SettingsDep, optional_auth
from chaupal.api.params import parse
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.insights.monitor.aggregate import reactions
from chaupal.insights.monitor.live import reaction_events, window_factory
from chaupal.insights.monitor.subjects import (
    Subject,
    account_subject,
    keyword_subject,
    resolve_subject,
    status_subject,
    tag_subject,
)
from chaupal.insights.monitor.window import resolve_window

router = APIRouter()
Viewer = Annotated[Auth | None, Depends(optional_auth("read:statuses"))]


class WindowParams(BaseModel):
    window: str | None = Field(default=None, max_length=16)
    bucket: str | None = Field(default=None, max_length=16)


class KeywordParams(WindowParams):
    q: str | None = Field(default=None, max_length=1000)


class StreamParams(WindowParams):
    subject: str | None = Field(default=None, max_length=1000)


def viewer_id(auth: Auth | None) -> int | None:
    return auth.account.id if auth is not None and auth.account is not None else None


async def _answer(
    session: AsyncSession, settings: Settings, subject: Subject, auth: Auth | None, params: WindowParams
) -> dict[str, Any]:
    window = resolve_window(settings, utcnow(), params.window, params.bucket, subject.started_at)
    return await reactions(session, settings, subject, viewer_id(auth), window)


@router.get("/api/chaupal/v1/reactions/statuses/{status_id}")
async def status_reactions(
    status_id: str, request: Request, session: SessionDep, settings: SettingsDep, auth: Viewer
) -> dict[str, Any]:
    params = await parse(request, WindowParams)
    subject = await status_subject(session, viewer_id(auth), status_id)
    return await _answer(session, settings, subject, auth, params)


@router.get("/api/chaupal/v1/reactions/tags/{name}")
async def tag_reactions(
    name: str, request: Request, session: SessionDep, settings: SettingsDep, auth: Viewer
) -> dict[str, Any]:
    params = await parse(request, WindowParams)
    subject = await tag_subject(session, settings, name)
    return await _answer(session, settings, subject, auth, params)


@router.get("/api/chaupal/v1/reactions/keywords")
async def keyword_reactions(
    request: Request, session: SessionDep, settings: SettingsDep, auth: Viewer
) -> dict[str, Any]:
    params = await parse(request, KeywordParams)
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    subject = keyword_subject(settings, dialect, params.q)
    return await _answer(session, settings, subject, auth, params)


@router.get("/api/chaupal/v1/reactions/accounts/{account_id}/mentions")
async def mention_reactions(
    account_id: str, request: Request, session: SessionDep, settings: SettingsDep, auth: Viewer
) -> dict[str, Any]:
    params = await parse(request, WindowParams)
    subject = await account_subject(session, account_id)
    return await _answer(session, settings, subject, auth, params)


@router.get("/api/chaupal/v1/streaming/reactions")
async def stream_reactions(
    request: Request, session: SessionDep, settings: SettingsDep, auth: Viewer
) -> Response:
    params = await parse(request, StreamParams)
    viewer = viewer_id(auth)
    subject = await resolve_subject(session, settings, viewer, params.subject)
    window_for = window_factory(settings, subject, params.window, params.bucket)
    return StreamingResponse(
        reaction_events(request.app, subject, viewer, window_for),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
