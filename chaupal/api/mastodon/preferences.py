"""Mastodon API: preferences."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
