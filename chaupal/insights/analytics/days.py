"""UTC days: bounds, contiguous runs, calendar quarters, and the SQL expression that buckets a
timestamp column into its UTC day on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, literal_column


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def day_end(day: date) -> datetime:
    """The first instant after `day`."""
    return day_start(day + timedelta(days=1))


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted, de-duplicated days as contiguous (first, last) runs."""
    out: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if out and day == out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def day_of(column: Any, dialect: str) -> Any:
    """SQL: the UTC day of a timestamp column (SQLite stores naive UTC text, so its first ten
    characters are the day; PostgreSQL converts the timestamptz to UTC and takes the date)."""
    if dialect == "sqlite":
        return func.substr(column, 1, 10)
    return func.date(func.timezone(literal_column("'UTC'"), column))


def as_date(value: Any) -> date:
    """A day as returned by `day_of` or a Date column (a string on SQLite)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first = date(year, 3 * (quarter - 1) + 1, 1)
    nxt = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, nxt - timedelta(days=1)


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"
