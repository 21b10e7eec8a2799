"""Mastodon API: apps (register an OAuth client, verify an app's token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from chaupal.actions.apps import check_create_application
from chaupal.api.deps import AppAuth, SessionDep, SettingsDep
from chaupal.api.params import parse
from chaupal.errors import ApiError
from chaupal.models import Application

router = APIRouter()


class AppCreate(BaseModel):
    client_name: str = ""
    redirect_uris: str | list[str] = ""
    scopes: str | None = None
    website: str | None = None


def render_application(app: Application, *, credentials: bool = False) -> dict[str, Any]:
    uris = app.redirect_uri_list
    data: dict[str, Any] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(),
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        "vapid_key": "",  # no Web Push yet
    }
    if credentials:
        data["client_id"] = app.client_id
        data["client_secret"] = app.client_secret
        data["client_secret_expires_at"] = 0
    return data


@router.post("/api/v1/apps")
async def create_app(request: Request, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    params = await parse(request, AppCreate)
    app = await check_create_application(
        session,
        settings,
        name=params.client_name,
        redirect_uris=params.redirect_uris,
        scopes=params.scopes,
        website=params.website,
    )
    return render_application(app, credentials=True)


@router.get("/api/v1/apps/verify_credentials")
async def verify_credentials(auth: AppAuth) -> dict[str, Any]:
    if auth.application is None:
        raise ApiError(401, "The access token is not an application's")
    return render_application(auth.application)

