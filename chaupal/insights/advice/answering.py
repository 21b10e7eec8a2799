"""Answering citizens, described (not tested): of the questions people put to the account
(replies to its posts or mentions of it), how many it answered and how fast (median)."""

from __future__ import annotations

import statistics
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from chaupal.config import Settings
from chaupal.insights.advice.data import _aware
from chaupal.models import Account, ImportedPost, Mention, Status, StatusSentiment


def _looks_like_question(text: str) -> bool:
    return "?" in text or "？" in text  # only when the sentiment job has not labelled it


async def answering_summary(session: AsyncSession, settings: Settings, account: Account) -> dict[str, Any]:
    mentioned = select(Mention.status_id).where(Mention.account_id == account.id)
    rows = (
        await session.execute(
            select(Status.id, Status.text, Status.created_at, StatusSentiment.is_question)
            .outerjoin(StatusSentiment, StatusSentiment.status_id == Status.id)
            .where(
                Status.account_id != account.id,
                Status.reblog_of_id.is_(None),
                Status.visibility.in_(("public", "unlisted")),
                or_(Status.in_reply_to_account_id == account.id, Status.id.in_(mentioned)),
            )
            .order_by(Status.id.desc())
            .limit(settings.advice_max_questions)
        )
    ).all()
    questions = {
        r.id: _aware(r.created_at)
        for r in rows
        if (r.is_question if r.is_question is not None else _looks_like_question(r.text or ""))
    }
    answer = aliased(Status)
    first: dict[int, Any] = {}
    ids = list(questions)
    for i in range(0, len(ids), 900):
        found = await session.execute(
            select(answer.in_reply_to_id, func.min(answer.created_at))
            .where(answer.account_id == account.id, answer.in_reply_to_id.in_(ids[i : i + 900]))
            .group_by(answer.in_reply_to_id)
        )
        first.update({q: _aware(at) for q, at in found.all()})
    minutes = [max(0.0, (first[q] - asked).total_seconds() / 60) for q, asked in questions.items() if q in first]
    replies_elsewhere = await session.scalar(
        select(func.count()).where(
            ImportedPost.account_id == account.id, ImportedPost.reply_to_source_id.is_not(None)
        )
    )
    return {
        "questions": len(questions),
        "answered": len(minutes),
        "share_answered": round(len(minutes) / len(questions), 4) if questions else None,
        "median_response_minutes": round(statistics.median(minutes), 1) if minutes else None,
        "imported_replies_to_others": int(replies_elsewhere or 0),
        "scanned": len(rows),
        "limit": settings.advice_max_questions,
    }
