"""The web app's router: every page module, static files and robots.txt."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, PlainTextResponse, Response

from chaupal.errors import not_found
from chaupal.web import auth, discover, discover_extra, posts, profiles, signup, staff, stream, timelines
from chaupal.web.gov_pages import router as gov_router  # /directory, /leaderboards
from chaupal.web.scheduled import router as scheduled_router
from chaupal.web.session import WEB_DIR

router = APIRouter()
for module in (auth, signup, staff, timelines, discover, discover_extra, stream, profiles, posts):
    router.include_router(module.router)  # profiles before posts: /@user/followers is not a post
router.include_router(gov_router)
router.include_router(scheduled_router)  # /scheduled, /drafts

STATIC_DIR = (WEB_DIR / "static").resolve()
ROBOTS = """User-agent: *
Disallow: /oauth/
Disallow: /auth/
Disallow: /settings/
Disallow: /api/
Disallow: /web/
"""


@router.get("/robots.txt")
async def robots() -> Response:
    return PlainTextResponse(ROBOTS)


@router.get("/static/{path:path}")
async def static(path: str) -> Response:
    target = (STATIC_DIR / path).resolve()
    if not target.is_relative_to(STATIC_DIR) or not target.is_file():
        raise not_found()
    return FileResponse(
        Path(target),
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
