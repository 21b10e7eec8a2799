"""Directory of government presence and the coverage report (public, read-only)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.api.params import parse
from chaupal.errors import unprocessable
from chaupal.gov.coverage import coverage_report
from chaupal.gov.directory import DirectoryQuery, directory_page, directory_tree
from chaupal.models.gov import INSTITUTION_CATEGORIES

router = APIRouter()


class DirectoryParams(BaseModel):
    format: Literal["tree", "flat"] = "tree"
    jurisdiction: str | None = Field(default=None, max_length=128)
    category: str | None = Field(default=None, max_length=32)
    q: str | None = Field(default=None, max_length=200)
    limit: int | None = Field(default=None, ge=1, lt=2**31)
    offset: int = Field(default=0, ge=0, lt=2**31)


def directory_query(params: DirectoryParams) -> DirectoryQuery:
    category = params.category or None
    if category is not None and category not in INSTITUTION_CATEGORIES:
        raise unprocessable(f"category must be one of {', '.join(INSTITUTION_CATEGORIES)}")
    return DirectoryQuery(
        jurisdiction=(params.jurisdiction or "").strip() or None,
        category=category,
        q=(params.q or "").strip() or None,
    )


@router.get("/api/chaupal/v1/directory")
async def directory(request: Request, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    params = await parse(request, DirectoryParams)
    query = directory_query(params)
    if params.format == "flat":
        limit = min(params.limit or settings.directory_page_default, settings.directory_page_max)
        entries, total = await directory_page(session, settings, query, offset=params.offset, limit=limit)
        return {"format": "flat", "total": total, "offset": params.offset, "limit": limit, "entries": entries}
    roots, truncated = await directory_tree(session, settings, query)
    return {"format": "tree", "truncated": truncated, "roots": roots}


class CoverageParams(BaseModel):
    government: str | None = Field(default=None, max_length=128)


@router.get("/api/chaupal/v1/coverage")
async def coverage(request: Request, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    params = await parse(request, CoverageParams)
    return await coverage_report(session, settings, params.government or None)
