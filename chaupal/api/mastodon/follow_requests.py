"""Mastodon API: follow_requests."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
