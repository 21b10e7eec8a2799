"""Mastodon API: follow suggestions (v2 Suggestion entities with sources, v1 plain accounts) and
dismissing one; ranked by `chaupal.insights.suggest.live`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from chaupal.actions.suggestions import do_dismiss_suggestion
from chaupal.api.deps import ReadAccounts, SessionDep, SettingsDep
from chaupal.api.params import parse
from chaupal.insights.suggest.live import LEGACY_SOURCE, cache_of, suggestions_for
from chaupal.models import Account
from chaupal.render.accounts import render_account

router = APIRouter()


class SuggestionParams(BaseModel):
    limit: int | None = Field(default=None, ge=1, lt=2**31)


async def _suggestions(
    request: Request, auth: ReadAccounts, session: SessionDep, settings: SettingsDep
) -> list[tuple[Account, tuple[str, ...]]]:
    params = await parse(request, SuggestionParams)
    limit = min(params.limit or settings.suggestions_default, settings.suggestions_max)
    assert auth.account is not None
    cache = cache_of(request.app.state, settings)
    return await suggestions_for(session, settings, cache, auth.account.id, limit)


@router.get("/api/v2/suggestions")
async def suggestions_v2(
    request: Request, auth: ReadAccounts, session: SessionDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    return [
        {
            "source": LEGACY_SOURCE[sources[0]],
            "sources": list(sources),
            "account": render_account(settings, account),
        }
        for account, sources in await _suggestions(request, auth, session, settings)
    ]


@router.get("/api/v1/suggestions")
async def suggestions_v1(
    request: Request, auth: ReadAccounts, session: SessionDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    found = await _suggestions(request, auth, session, settings)
    return [render_account(settings, account) for account, _ in found]


@router.delete("/api/v1/suggestions/{account_id}")
async def dismiss(account_id: str, auth: ReadAccounts, session: SessionDep) -> dict[str, Any]:
    """Always `{}`, as Mastodon answers even for an unknown ID; only a real account is stored."""
    assert auth.account is not None
    if account_id.isdigit() and len(account_id) <= 19 and int(account_id) < 2**63:
        target = await session.get(Account, int(account_id))
        if target is not None:
            await do_dismiss_suggestion(session, auth.account, target)
    return {}
