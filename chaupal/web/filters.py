"""Jinja globals and filters for the web pages: `t()` (UI text), dates, counts, local paths."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from jinja2 import Environment

from chaupal.web.i18n import t


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value)
    return None


def ago(value: Any, now: datetime | None = None) -> str:
    """A short relative time ("5m", "3h", "2d"), or the date for older posts."""
    when = _parse(value)
    if when is None:
        return ""
    seconds = int(((now or datetime.now(UTC)) - when).total_seconds())
    if seconds < 60:
        return t("time.now")
    if seconds < 3600:
        return t("time.minutes", n=seconds // 60)
    if seconds < 86400:
        return t("time.hours", n=seconds // 3600)
    if seconds < 7 * 86400:
        return t("time.days", n=seconds // 86400)
    return when.strftime("%d %b %Y")


def iso_full(value: Any) -> str:
    when = _parse(value)
    return when.strftime("%Y-%m-%d %H:%M UTC") if when else ""


def profile_path(account: dict[str, Any]) -> str:
    return "/@" + quote(account["acct"], safe="@")


def status_path(status: dict[str, Any]) -> str:
    return f"{profile_path(status['account'])}/{status['id']}"


def tag_path(name: str) -> str:
    return "/tags/" + quote(name, safe="")


def install(env: Environment) -> None:
    env.globals["t"] = t
    env.filters["ago"] = ago
    env.filters["iso_full"] = iso_full
    env.filters["profile_path"] = profile_path
    env.filters["status_path"] = status_path
    env.filters["tag_path"] = tag_path
