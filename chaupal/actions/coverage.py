"""Importing a coverage file: the expected entities of one government, replaced as a whole
(re-import updates, entities no longer in the file are removed; a bad file changes nothing)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError
from chaupal.gov.coverage_file import CoverageFile, CoverageFileError, parse_coverage_file
from chaupal.models import ExpectedEntity

FIELDS = ("name", "category", "parent_key", "jurisdiction", "expected_username")


async def check_import_coverage(
    session: AsyncSession, settings: Settings, text: str | bytes
) -> dict[str, Any]:
    """Validate the whole file, then import it. Raises ApiError(422) listing every problem."""
    try:
        parsed = parse_coverage_file(text, settings)
    except CoverageFileError as exc:
        raise ApiError(422, "Validation failed: " + "; ".join(exc.problems), details=exc.problems) from None
    keys = [e.key for e in parsed.entities]
    taken = (
        await session.execute(
            select(ExpectedEntity.key, ExpectedEntity.source).where(
                ExpectedEntity.key.in_(keys), ExpectedEntity.source != parsed.government_key
            )
        )
    ).all()
    if taken:
        problems = [f"key {k!r} is already declared by government {src!r}" for k, src in taken]
        raise ApiError(422, "Validation failed: " + "; ".join(problems), details=problems)
    return await do_import_coverage(session, parsed)


async def do_import_coverage(session: AsyncSession, parsed: CoverageFile) -> dict[str, Any]:
    """Make the government's expected entities equal to the file's; flushes only."""
    source = parsed.government_key
    existing = {
        row.key: row
        for row in await session.scalars(select(ExpectedEntity).where(ExpectedEntity.source == source))
    }
    created = updated = unchanged = 0
    now = utcnow()
    for entity in parsed.entities:
        row = existing.pop(entity.key, None)
        if row is None:
            session.add(
                ExpectedEntity(
                    key=entity.key,
                    source=source,
                    imported_at=now,
                    **{f: getattr(entity, f) for f in FIELDS},
                )
            )
            created += 1
            continue
        changed = False
        for field in FIELDS:
            if getattr(row, field) != getattr(entity, field):
                setattr(row, field, getattr(entity, field))
                changed = True
        row.imported_at = now
        updated += changed
        unchanged += not changed
    if existing:
        await session.execute(
            delete(ExpectedEntity).where(ExpectedEntity.id.in_([r.id for r in existing.values()]))
        )
    await session.flush()
    return {
        "government": source,
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "removed": len(existing),
        "total": len(parsed.entities),
    }
