"""OAuth 2: authorize (HTML sign-in and consent), token, revoke, and RFC 8414 metadata."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
