"""Web pages: sign-in and the landing page (the full web app is issue 3)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
