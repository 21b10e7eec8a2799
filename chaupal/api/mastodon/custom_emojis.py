"""Mastodon API: custom_emojis."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
