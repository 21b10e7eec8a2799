"""Autogenerate and compare hooks shared by env.py and the migration tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy.types import TypeDecorator


def render_item(type_: str, obj: Any, autogen_context: Any) -> Any:
    """Render our TypeDecorators as their plain implementation type, so migrations do not
    import model code that may change later."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Objects only the database has (the search index's FTS tables and indexes, made by
    chaupal.search_index DDL) are not described by the metadata; leave them alone."""
    return not (reflected and compare_to is None)
