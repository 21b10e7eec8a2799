"""One monitor answer: posts per bucket with their sentiment split, totals, languages, top
terms, the most-engaged posts and citizens' questions the account has not answered. The
newest `reactions_scan_max` matching posts of the window are read once and counted here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import visible_clause
from chaupal.config import Settings
from chaupal.insights.monitor.labels import label_texts
from chaupal.insights.monitor.subjects import OPEN, Subject, _acct
from chaupal.insights.monitor.text import top_terms
from chaupal.insights.monitor.window import Window
from chaupal.lib.ids import id_floor
from chaupal.models import Account, Status
from chaupal.models.insights import SENTIMENT_LABELS, StatusSentiment

CHUNK = 500  # ids per IN (...) when looking for answers


def matching(subject: Subject, viewer_id: int | None, since: datetime) -> list[Any]:
    """Conditions on Status for the subject's public reactions the viewer may see since `since`."""
    where = [
        subject.clause,
        Status.visibility.in_(OPEN),
        Status.reblog_of_id.is_(None),
        Status.id >= id_floor(since),
        Status.created_at >= since,
        visible_clause(viewer_id),
    ]
    if subject.account_id is not None:
        where.append(Status.account_id != subject.account_id)
    return where


async def _rows(
    session: AsyncSession, settings: Settings, subject: Subject, viewer_id: int | None, window: Window
) -> tuple[list[dict[str, Any]], bool]:
    stmt = (
        select(
            Status.id, Status.account_id, Status.text, Status.content, Status.url, Status.created_at,
            Status.replies_count, Status.reblogs_count, Status.favourites_count,
            StatusSentiment.label, StatusSentiment.language_detected, StatusSentiment.is_question,
        )
        .outerjoin(StatusSentiment, StatusSentiment.status_id == Status.id)
        .where(*matching(subject, viewer_id, window.since))
        .order_by(Status.id.desc())
        .limit(settings.reactions_scan_max + 1)
    )
    rows = [dict(r._mapping) for r in (await session.execute(stmt)).all()]
    truncated = len(rows) > settings.reactions_scan_max
    rows = rows[: settings.reactions_scan_max]
    missing = [r for r in rows if r["label"] is None]  # posted before labelling, or it failed
    if missing:
        for r, labelled in zip(missing, label_texts([r["text"] for r in missing]), strict=True):
            r.update(labelled)
    return rows, truncated


async def _answered(
    session: AsyncSession, subject: Subject, viewer_id: int | None, questions: list[dict[str, Any]]
) -> set[int]:
    """Ids of the questions the subject's account (for tags and keywords: anyone but the
    asker) answered with a reply the viewer may see."""
    asker = {q["id"]: q["account_id"] for q in questions}
    ids = list(asker)
    out: set[int] = set()
    for i in range(0, len(ids), CHUNK):
        stmt = select(Status.in_reply_to_id, Status.account_id).where(
            Status.in_reply_to_id.in_(ids[i : i + CHUNK]), visible_clause(viewer_id)
        )
        if subject.account_id is not None:
            stmt = stmt.where(Status.account_id == subject.account_id)
        for parent, author in (await session.execute(stmt)).all():
            if subject.account_id is not None or author != asker[parent]:
                out.add(parent)
    return out


def _engagement(r: dict[str, Any]) -> int:
    return int(r["favourites_count"] + r["reblogs_count"] + r["replies_count"])


def _post(r: dict[str, Any], accounts: dict[int, Account]) -> dict[str, Any]:
    account = accounts.get(r["account_id"])
    return {
        "id": str(r["id"]),
        "url": r["url"],
        "created_at": r["created_at"].isoformat(),
        "account": _acct(account) if account is not None else None,
        "content": r["content"],
        "text": r["text"],
        "sentiment": r["label"],
        "language": r["language_detected"],
        "replies_count": r["replies_count"],
        "reblogs_count": r["reblogs_count"],
        "favourites_count": r["favourites_count"],
        "engagement": _engagement(r),
    }


async def reactions(
    session: AsyncSession, settings: Settings, subject: Subject, viewer_id: int | None, window: Window
) -> dict[str, Any]:
    """The monitor's JSON for `subject` over `window`, as the viewer may see it."""
    rows, truncated = await _rows(session, settings, subject, viewer_id, window)
    n = window.buckets
    series = [
        {"start": None, "count": 0, **dict.fromkeys(SENTIMENT_LABELS, 0)} for _ in range(n)
    ]
    sentiment = dict.fromkeys(SENTIMENT_LABELS, 0)
    languages: dict[str, int] = {}
    for r in rows:
        slot = series[min(max(window.index(r["created_at"]), 0), n - 1)]
        slot["count"] += 1
        slot[r["label"]] += 1
        sentiment[r["label"]] += 1
        languages[r["language_detected"]] = languages.get(r["language_detected"], 0) + 1
    bucket_minutes = window.bucket_seconds / 60
    for i, slot in enumerate(series):
        slot["start"] = datetime.fromtimestamp(
            window.since.timestamp() + i * window.bucket_seconds, tz=window.since.tzinfo
        ).isoformat()
        slot["per_minute"] = round(slot["count"] / bucket_minutes, 3)

    questions = [r for r in rows if r["is_question"]]
    answered = await _answered(session, subject, viewer_id, questions)
    open_questions = sorted(
        (q for q in questions if q["id"] not in answered), key=lambda r: (-_engagement(r), -r["id"])
    )
    engaged = sorted(
        (r for r in rows if _engagement(r) > 0), key=lambda r: (-_engagement(r), -r["id"])
    )[: settings.reactions_top_replies]
    shown = engaged + open_questions[: settings.reactions_questions_max]
    account_ids = {r["account_id"] for r in shown}
    accounts = {
        a.id: a
        for a in (await session.scalars(select(Account).where(Account.id.in_(account_ids)))).all()
    } if account_ids else {}
    return {
        "subject": {"type": subject.kind, "key": subject.key, "name": subject.name, **(subject.detail or {})},
        "window": {
            "since": window.since.isoformat(),
            "until": window.until.isoformat(),
            "seconds": int((window.until - window.since).total_seconds()),
            "bucket_seconds": window.bucket_seconds,
        },
        "total": len(rows),
        "truncated": truncated,
        "latest_id": str(rows[0]["id"]) if rows else None,
        "sentiment": sentiment,
        "series": series,
        "languages": [
            {"language": k, "count": v} for k, v in sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "top_terms": top_terms((r["text"] for r in rows), settings.reactions_top_terms),
        "most_engaged": [_post(r, accounts) for r in engaged],
        "questions": {
            "total": len(questions),
            "answered": len(answered),
            "unanswered": len(open_questions),
        },
        "unanswered_questions": [
            _post(r, accounts) for r in open_questions[: settings.reactions_questions_max]
        ],
    }
