"""host-meta (RFC 6415): the XRD that points older clients at our WebFinger endpoint."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from chaupal.api.deps import SettingsDep

router = APIRouter()
XRD_CONTENT_TYPE = "application/xrd+xml; charset=utf-8"


@router.get("/.well-known/host-meta")
async def host_meta(settings: SettingsDep) -> Response:
    template = f"{settings.base_url}/.well-known/webfinger?resource={{uri}}"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{template}"/>\n'
        "</XRD>\n"
    )
    return Response(body, media_type=XRD_CONTENT_TYPE, headers={"Access-Control-Allow-Origin": "*"})
