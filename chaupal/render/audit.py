"""Institution audit log entries as JSON dicts and as CSV, for the API and the web page."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.lib.paging import Page
from chaupal.models import AuditEntry
from chaupal.render import iso

CSV_COLUMNS = (
    "id", "created_at", "action", "staff_username", "staff_account_id", "object_type", "object_id",
    "detail",
)


async def load_entries(
    session: AsyncSession, institution_id: int, page: Page | None, limit: int
) -> list[AuditEntry]:
    """Newest first; paged like Mastodon lists (max_id, since_id, min_id) or the newest `limit`."""
    from chaupal.api.paging import apply_page, finish

    stmt = select(AuditEntry).where(AuditEntry.institution_account_id == institution_id)
    if page is None:
        return list((await session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit))).all())
    return finish((await session.scalars(apply_page(stmt, AuditEntry.id, page))).all(), page)


def render_entry(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": str(entry.id),
        "created_at": iso(entry.created_at),
        "action": entry.action,
        "staff": {
            "account_id": str(entry.staff_account_id) if entry.staff_account_id else None,
            "username": entry.staff_username,
        },
        "object_type": entry.object_type or None,
        "object_id": str(entry.object_id) if entry.object_id is not None else None,
        "detail": entry.detail or {},
    }


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell starting like a formula (CSV injection): quote it.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def entries_csv(entries: Sequence[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        writer.writerow(
            [
                _cell(v)
                for v in (
                    e.id, iso(e.created_at), e.action, e.staff_username, e.staff_account_id,
                    e.object_type, e.object_id, json.dumps(e.detail or {}, ensure_ascii=False),
                )
            ]
        )
    return out.getvalue()
