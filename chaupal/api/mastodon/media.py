"""Mastodon API: media uploads (v1 and v2), get, update, delete; and the stored files
themselves under /system/media/, served with their own content type and nosniff."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.datastructures import UploadFile

from chaupal.actions.media import (
    Upload,
    access_media,
    check_update_media,
    check_upload_media,
    do_delete_media,
)
from chaupal.api.deps import Auth, SessionDep, SettingsDep, require_user
from chaupal.api.params import all_params
from chaupal.errors import not_found, unprocessable
from chaupal.media.storage import content_type_for, media_storage, valid_key
from chaupal.render.media import render_media

router = APIRouter()

WriteMedia = Annotated[Auth, Depends(require_user("write:media"))]
_UNSET: Any = object()


def _upload(value: Any, name: str, *, required: bool = False) -> Upload | None:
    if value is None or value == "":
        if required:
            raise unprocessable(f"{name} can't be blank (send it as multipart/form-data)")
        return None
    if not isinstance(value, UploadFile):
        raise unprocessable(f"{name} must be a file sent as multipart/form-data")
    return Upload(value.file, value.filename, value.content_type)


def _text(params: dict[str, Any], name: str) -> Any:
    value = params.get(name, _UNSET)
    if value is not _UNSET and value is not None and not isinstance(value, str):
        raise unprocessable(f"{name} must be text")
    return value


async def _create(request: Request, auth: Auth, session: Any, settings: Any) -> dict[str, Any]:
    assert auth.account is not None
    params = await all_params(request)
    upload = _upload(params.get("file"), "file", required=True)
    assert upload is not None
    description = _text(params, "description")
    media = await check_upload_media(
        session,
        settings,
        auth.account,
        upload,
        description=None if description is _UNSET else description,
        focus=_text(params, "focus") if "focus" in params else None,
        thumbnail=_upload(params.get("thumbnail"), "thumbnail"),
    )
    return render_media(settings, media)


@router.post("/api/v2/media")
async def upload_media_v2(
    request: Request, auth: WriteMedia, session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    """Processed synchronously (images and, with ffmpeg, video): 200 with `url`, as Mastodon
    answers when done; 202 with a null `url` would mean still processing."""
    data = await _create(request, auth, session, settings)
    return JSONResponse(data, status_code=200 if data["url"] else 202)


@router.post("/api/v1/media")
async def upload_media_v1(
    request: Request, auth: WriteMedia, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    return await _create(request, auth, session, settings)


@router.get("/api/v1/media/{media_id}")
async def get_media(
    media_id: str, auth: WriteMedia, session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    assert auth.account is not None
    media = await access_media(session, auth.account, media_id)
    if media.processing == "failed":
        raise unprocessable("File could not be processed")
    data = render_media(settings, media)
    return JSONResponse(data, status_code=200 if media.processing == "done" else 206)


@router.put("/api/v1/media/{media_id}")
async def update_media(
    media_id: str, request: Request, auth: WriteMedia, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    assert auth.account is not None
    media = await access_media(session, auth.account, media_id)
    params = await all_params(request)
    changes: dict[str, Any] = {}
    if "description" in params:  # absent: unchanged; empty: removed
        changes["description"] = _text(params, "description")
    await check_update_media(
        session,
        settings,
        media,
        focus=_text(params, "focus") if "focus" in params else None,
        thumbnail=_upload(params.get("thumbnail"), "thumbnail"),
        **changes,
    )
    return render_media(settings, media)


@router.delete("/api/v1/media/{media_id}")
async def delete_media(
    media_id: str,
    auth: WriteMedia,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> dict[str, Any]:
    """Only unattached media (Mastodon 4.4); the files go once the deletion has committed."""
    assert auth.account is not None
    media = await access_media(session, auth.account, media_id)
    keys = await do_delete_media(session, media)
    storage = media_storage(settings)
    for key in keys:
        background.add_task(storage.delete, key)
    return {}


_FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "public, max-age=31536000, immutable",
    "Content-Disposition": "inline",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


@router.get("/system/media/{shard1}/{shard2}/{name}", include_in_schema=False)
async def media_file(shard1: str, shard2: str, name: str, settings: SettingsDep) -> FileResponse:
    """A stored file by its random key; anything that is not such a key is a 404."""
    key = f"{shard1}/{shard2}/{name}"
    if not valid_key(key):
        raise not_found()
    path = media_storage(settings).local_path(key)
    if path is None or not path.is_file():
        raise not_found()
    return FileResponse(path, media_type=content_type_for(key), headers=_FILE_HEADERS)
