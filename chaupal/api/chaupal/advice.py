"""Chaupal API: evidence-based posting advice for an account (its own and imported posts)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from chaupal.api.deps import ReadAccounts, SessionDep, SettingsDep
from chaupal.insights.advice import advise
from chaupal.insights.advice.access import access_advice
from chaupal.render.accounts import render_account

router = APIRouter(tags=["insights"])


@router.get("/api/chaupal/v1/accounts/{account_id}/advice")
async def account_advice(
    account_id: str, auth: ReadAccounts, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """The account itself, or an owner/analyst of the institution; others 403."""
    assert auth.user is not None
    account = await access_advice(session, auth.user, account_id)
    report = await advise(session, settings, account)
    return {"account": render_account(settings, account), **report}
