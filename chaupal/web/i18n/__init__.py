"""UI text catalogs: `t(key, **values)` looks a key up in the locale's JSON catalog
(en.json is the reference; a missing key falls back to English, then to the key)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

DIR = Path(__file__).parent
DEFAULT_LOCALE = "en"


@functools.cache
def catalog(locale: str) -> dict[str, str]:
    path = DIR / f"{locale}.json"
    if not path.is_file() or not locale.isalpha():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def translate(locale: str, key: str, **values: Any) -> str:
    text = catalog(locale).get(key) or catalog(DEFAULT_LOCALE).get(key) or key
    return text.format(**values) if values else text


def t(key: str, **values: Any) -> str:
    """The Jinja global (English until a locale is chosen per request)."""
    return translate(DEFAULT_LOCALE, key, **values)
