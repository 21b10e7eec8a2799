"""Web pages: the landing page, static files and robots.txt; includes sign-in and settings
(chaupal/web/auth.py). The full web app is a later issue."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, PlainTextResponse, Response

from chaupal.api.deps import SessionDep
from chaupal.errors import not_found
from chaupal.web import auth
from chaupal.web.session import WEB_DIR, current_web_user, render

router = APIRouter()
router.include_router(auth.router)

STATIC_DIR = (WEB_DIR / "static").resolve()
ROBOTS = """User-agent: *
Disallow: /oauth/
Disallow: /auth/
Disallow: /settings/
Disallow: /api/
"""


@router.get("/")
async def landing(request: Request, session: SessionDep) -> Response:
    web_user = await current_web_user(request, session)
    return render(request, "landing.html", {"web_user": web_user})


@router.get("/robots.txt")
async def robots() -> Response:
    return PlainTextResponse(ROBOTS)


@router.get("/static/{path:path}")
async def static(path: str) -> Response:
    target = (STATIC_DIR / path).resolve()
    if not target.is_relative_to(STATIC_DIR) or not target.is_file():
        raise not_found()
    return FileResponse(
        Path(target), headers={"Cache-Control": "public, max-age=86400"}
    )
