"""Leaderboards of the most-followed accounts by category (public, read-only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.api.params import parse
from chaupal.errors import unprocessable
from chaupal.gov.leaderboards import CATEGORIES, leaderboard, parse_period

router = APIRouter()


class LeaderboardParams(BaseModel):
    category: str = "ministries"
    period: str | None = Field(default=None, max_length=8)
    limit: int | None = Field(default=None, ge=1, lt=2**31)


@router.get("/api/chaupal/v1/leaderboards")
async def leaderboards(request: Request, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    params = await parse(request, LeaderboardParams)
    if params.category not in CATEGORIES:
        raise unprocessable(f"category must be one of {', '.join(CATEGORIES)}")
    days = parse_period(params.period, settings)
    if days is None:
        raise unprocessable(
            f"period must be a number of days like 30d, from 1d to {settings.leaderboard_period_days_max}d"
        )
    limit = min(params.limit or settings.leaderboard_size_default, settings.leaderboard_size_max)
    return await leaderboard(session, settings, params.category, period_days=days, limit=limit)
