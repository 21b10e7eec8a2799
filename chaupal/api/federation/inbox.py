"""The ActivityPub inboxes: `POST /users/{username}/inbox` and the shared `POST /inbox`. The
body is read up to `federation_max_activity_bytes` (413 beyond); everything else is
`chaupal.federation.inbox.receive`. 202 means the activity is committed (or was already)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chaupal.api.deps import SettingsDep
from chaupal.errors import ApiError
from chaupal.federation.inbox import InboxError, receive

router = APIRouter()


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "Activity is too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "Activity is too large")
        chunks.append(chunk)
    return b"".join(chunks)


async def _receive(request: Request, settings: SettingsDep, username: str | None) -> Response:
    body = await _body(request, settings.federation_max_activity_bytes)
    path_qs = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        await receive(
            request.app.state,
            settings,
            method=request.method,
            path_qs=path_qs,
            headers=request.headers,
            body=body,
            username=username,
        )
    except InboxError as exc:
        raise ApiError(exc.status, exc.message) from None
    return Response(status_code=202)


@router.post("/users/{username}/inbox")
async def user_inbox(username: str, request: Request, settings: SettingsDep) -> Response:
    return await _receive(request, settings, username)


@router.post("/inbox")
async def shared_inbox(request: Request, settings: SettingsDep) -> Response:
    return await _receive(request, settings, None)
