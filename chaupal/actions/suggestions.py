"""Follow-suggestion writes: dismissing an account so it is never suggested to the user again."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.models import Account, SuggestionDismissal


async def do_dismiss_suggestion(session: AsyncSession, account: Account, target: Account) -> None:
    """Remember that `account` dismissed `target` (idempotent, also against a concurrent twin)."""
    found = await session.scalar(
        select(SuggestionDismissal.id).where(
            SuggestionDismissal.account_id == account.id,
            SuggestionDismissal.target_account_id == target.id,
        )
    )
    if found is None and account.id != target.id:
        try:
            async with session.begin_nested():
                session.add(SuggestionDismissal(account_id=account.id, target_account_id=target.id))
        except IntegrityError:
            pass
