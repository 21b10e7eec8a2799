"""The settings table of docs/operations.md, generated from the fields of chaupal.config.Settings
and the comments beside them: `python -m chaupal.cli.settings_doc docs/operations.md`."""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

from chaupal import config
from chaupal.config import Settings

START, END = "<!-- settings:start -->", "<!-- settings:end -->"
SECRET = {"secret_key", "database_url", "redis_url"}
_FIELD = re.compile(r"^    (\w+): [^=]+?(?:=\s*(.+?))?\s*(?:#\s*(.*))?$")


def _comments() -> dict[str, tuple[str, str]]:
    """field name -> (section heading, inline comment), read from config.py's source."""
    out: dict[str, tuple[str, str]] = {}
    section = ""
    for line in inspect.getsource(config.Settings).splitlines():
        stripped = line.strip()
        if stripped.startswith("#") and line.startswith("    #"):
            section = stripped.lstrip("# ").strip()
            continue
        if not stripped:
            continue
        m = _FIELD.match(line)
        if m and m.group(1) in Settings.model_fields:
            out[m.group(1)] = (section, (m.group(3) or "").strip())
    return out


def _default(name: str) -> str:
    field = Settings.model_fields[name]
    if field.default_factory is not None:
        return "`{}`" if name == "extra" else "(computed)"
    value = field.default
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int) and abs(value) >= 10_000:
        return f"`{value:_}`".replace("_", ",")
    return f"`{value}`"


def settings_table() -> str:
    notes = _comments()
    rows = ["| environment variable | default | section | notes |", "|---|---|---|---|"]
    for name in Settings.model_fields:
        section, comment = notes.get(name, ("", ""))
        comment = comment.replace("|", "\\|")
        rows.append(f"| `CHAUPAL_{name.upper()}` | {_default(name)} | {section} | {comment} |")
    return "\n".join(rows)


def rewrite(path: Path) -> bool:
    """Replace the table between the markers in `path`; True if the file changed."""
    text = path.read_text()
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    new = f"{before}{START}\n{settings_table()}\n{END}{after}"
    if new != text:
        path.write_text(new)
        return True
    return False


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/operations.md")
    print(("updated " if rewrite(target) else "unchanged ") + str(target))
