"""Mastodon API: custom emojis. Chaupal has none (yet), so the list is honestly empty."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()


@router.get("/api/v1/custom_emojis")
async def custom_emojis() -> list[dict[str, object]]:
    return []
