"""Atomic counter updates (`UPDATE ... SET x = x + 1`) that also refresh the copy of the row
already loaded in the session, so renderers in the same request see the new values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key


async def bump(session: AsyncSession, model: Any, row_id: int | None, **changes: Any) -> None:
    """Add each integer delta to its column (never below zero); other values are set as given."""
    if row_id is None or not changes:
        return
    table = model.__table__
    values: dict[str, Any] = {}
    for name, delta in changes.items():
        col = table.c[name]
        if isinstance(delta, int) and not isinstance(delta, bool):
            values[name] = (
                col + delta if delta >= 0 else case((col + delta > 0, col + delta), else_=0)
            )
        else:
            values[name] = delta
    stmt = (
        update(table)
        .where(table.c.id == row_id)
        .values(**values)
        .returning(*[table.c[name] for name in changes])
    )
    row = (await session.execute(stmt)).first()
    obj = session.identity_map.get(identity_key(model, row_id))
    if obj is not None and row is not None:
        for name, value in zip(changes, row, strict=True):
            set_committed_value(obj, name, value)
