"""`GET /actor`: the instance actor (an `Application` speaking for the server, Mastodon's). Served
to anyone without a signature, whatever the secure-mode setting: other servers fetch it to
verify our signed GETs, and must be able to before they can sign anything to us."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chaupal.api.deps import SettingsDep
from chaupal.api.federation.common import ActivityResponse
from chaupal.errors import not_found
from chaupal.federation import instance_actor

router = APIRouter()


@router.get("/actor")
async def get_instance_actor(request: Request, settings: SettingsDep) -> Response:
    if not settings.federation_enabled:
        raise not_found()
    account = await instance_actor.ensure(request.app.state)
    if account is None or not account.public_key:
        raise not_found()
    return ActivityResponse(instance_actor.document(settings, account.public_key))
