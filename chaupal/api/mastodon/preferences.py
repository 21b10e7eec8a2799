"""Mastodon API: preferences (the signed-in user's posting and reading defaults)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from chaupal.api.deps import ReadAccounts

router = APIRouter()


@router.get("/api/v1/preferences")
async def preferences(auth: ReadAccounts) -> dict[str, Any]:
    assert auth.user is not None
    return {
        "posting:default:visibility": auth.user.default_visibility,
        "posting:default:sensitive": auth.user.default_sensitive,
        "posting:default:language": auth.user.default_language,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
        "reading:autoplay:gifs": False,
    }
