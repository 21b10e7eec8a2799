"""Sentiment labels of public and unlisted statuses, written in the posting (or editing)
transaction by `do_label_status`; `label_missing` / `demo_backfill` label existing posts in batches.
A `status.labelled` event is published after commit, which wakes the live reaction streams."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.events import publish_on_commit
from chaupal.insights.monitor.text import detect_language, is_question
from chaupal.insights.sentiment import get_model
from chaupal.models import Status
from chaupal.models.insights import StatusSentiment

log = logging.getLogger(__name__)

LABELLED = ("public", "unlisted")  # private and direct posts are never labelled
DEFER = "chaupal.defer_labels"  # session.info flag: a bulk loader labels later, in batches
BATCH = 2000  # texts per classifier call when labelling existing posts


def labellable(status: Status) -> bool:
    return status.visibility in LABELLED and status.reblog_of_id is None


def label_texts(texts: Sequence[str]) -> list[dict[str, Any]]:
    """Label, detected language and question flag per text (one batched classifier call)."""
    labels = get_model().predict(list(texts))
    return [
        {"label": label, "language_detected": detect_language(text), "is_question": is_question(text)}
        for label, text in zip(labels, texts, strict=True)
    ]


async def do_label_status(session: AsyncSession, status: Status) -> StatusSentiment | None:
    """Label a new or edited public/unlisted status in the caller's transaction (added to the
    session; written by its next flush).
    Never fails the post: if the classifier raises, the status stays unlabelled (the monitor
    classifies unlabelled posts on the fly) and the error is logged."""
    if not labellable(status) or session.info.get(DEFER):
        return None
    try:
        (row,) = label_texts([status.text])
    except Exception:
        log.exception("sentiment labelling failed for status %s", status.id)
        return None
    # A status never edited cannot have a label yet: no lookup; the row goes out with the
    # transaction's next flush (one INSERT, no extra round trip in the posting path).
    existing = None if status.edited_at is None else await session.get(StatusSentiment, status.id)
    if existing is None:
        existing = StatusSentiment(status_id=status.id, created_at=utcnow(), **row)
        session.add(existing)
    else:
        existing.label = row["label"]
        existing.language_detected = row["language_detected"]
        existing.is_question = row["is_question"]
        existing.created_at = utcnow()
    publish_on_commit(
        session, {"type": "status.labelled", "status_id": str(status.id), "label": row["label"]}
    )
    return existing


async def label_missing(
    session: AsyncSession, *, since: datetime | None = None, batch: int = BATCH
) -> int:
    """Label every public/unlisted status without a label (optionally only those created at or
    after `since`), `batch` at a time; flushes, the caller commits. Returns how many."""
    await session.flush()  # labels still pending in this session are not missing
    done = 0
    after = 0
    while True:
        stmt = (
            select(Status.id, Status.text)
            .outerjoin(StatusSentiment, StatusSentiment.status_id == Status.id)
            .where(
                StatusSentiment.status_id.is_(None),
                Status.visibility.in_(LABELLED),
                Status.reblog_of_id.is_(None),
                Status.id > after,
            )
            .order_by(Status.id)
            .limit(batch)
        )
        if since is not None:
            stmt = stmt.where(Status.created_at >= since)
        rows = (await session.execute(stmt)).all()
        if not rows:
            return done
        now = utcnow()
        labelled = label_texts([text for _, text in rows])
        await session.execute(
            insert(StatusSentiment),
            [{"status_id": sid, "created_at": now, **row} for (sid, _), row in zip(rows, labelled, strict=True)],
        )
        await session.flush()
        done += len(rows)
        after = rows[-1][0]


async def demo_backfill(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Label the demo's posts that are not labelled yet (all of them if the loader set
    `session.info[DEFER]`), so the monitor shows content on first run. Flushes only."""
    session.info.pop(DEFER, None)
    return await label_missing(session)
