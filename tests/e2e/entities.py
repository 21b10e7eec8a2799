"""Strict shape check of the raw JSON behind Mastodon.py's typed entities.

Mastodon.py casts leniently ("3" becomes 3, a bad date becomes None, absent fields read as None),
so this checks the JSON the server sent against Mastodon.py's own annotations in
`mastodon.return_types`: every non-Optional field Mastodon had by `REQUIRED_BY` is present and
non-null, every present value has the declared type, IDs are strings, dates parse as ISO 8601.
`RecordingSession` (a plain requests.Session that keeps the last JSON body) supplies the JSON.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
from datetime import datetime
from typing import Any

import requests
from mastodon import return_types

REQUIRED_BY = (4, 3, 0)  # the Mastodon API version Chaupal reports

# Declared non-null by Mastodon.py but documented nullable by Mastodon (no contact account set),
# or absent from Mastodon's documented entity (Preferences lists five keys, not autoplay).
NULLABLE_IN_PRACTICE = {
    ("Instance", "contact_account"),
    ("InstanceContact", "account"),
    ("Preferences", "reading_autoplay_gifs"),
}
# Fields Mastodon documents as a reduced object, not the full entity Mastodon.py names
# (Mastodon.py shares InstanceAccountConfiguration between v1 and v2; v1 documents one field).
REDUCED = {
    ("Status", "application"): {"name": "str", "website": "Optional[str]"},
    ("InstanceConfiguration", "accounts"): {
        "max_featured_tags": "int",
        "max_pinned_statuses": "Optional[int]",
    },
}

# Dates Mastodon sends as UNIX timestamps in strings ("1574553600"), not ISO 8601.
EPOCH_STRINGS = {("TagHistory", "day"), ("Activity", "week")}

_ADDED = re.compile(r"\*\s*([0-9]+\.[0-9]+\.[0-9]+):\s*added")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


@functools.cache
def _fields() -> dict[str, dict[str, tuple[str, tuple[int, ...]]]]:
    """{class name: {field: (annotation text, version added)}} read from Mastodon.py's source."""
    tree = ast.parse(inspect.getsource(return_types))
    out: dict[str, dict[str, tuple[str, tuple[int, ...]]]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        fields: dict[str, tuple[str, tuple[int, ...]]] = {}
        body = node.body
        for i, item in enumerate(body):
            if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)):
                continue
            if not isinstance(item.annotation, ast.Constant) or not isinstance(
                item.annotation.value, str
            ):
                continue
            added = (0, 0, 0)
            if i + 1 < len(body):
                doc = body[i + 1]
                if isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant):
                    m = _ADDED.search(str(doc.value.value))
                    if m:
                        added = _version(m.group(1))
            fields[item.target.id] = (item.annotation.value, added)
        out[node.name] = fields
    return out


def _split_args(inner: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i].strip())
            start = i + 1
    parts.append(inner[start:].strip())
    return parts


def _parse(annotation: str) -> tuple[str, list[str]]:
    if "[" not in annotation:
        return annotation.strip(), []
    head, inner = annotation.split("[", 1)
    return head.strip(), _split_args(inner[:-1])


def _check(value: Any, annotation: str, path: str, errors: list[str], depth: int) -> None:
    if depth > 12:
        return
    head, args = _parse(annotation)
    if head == "Optional":
        if value is not None:
            _check(value, args[0], path, errors, depth)
        return
    if value is None:
        errors.append(f"{path}: null where {annotation} is required")
        return
    if head == "Union":
        for option in args:
            trial: list[str] = []
            _check(value, option, path, trial, depth)
            if not trial:
                return
        errors.append(f"{path}: {type(value).__name__} matches none of {annotation}")
        return
    if head in ("NonPaginatableList", "PaginatableList", "EntityList", "List", "list"):
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            _check(item, args[0] if args else "Any", f"{path}[{i}]", errors, depth + 1)
        return
    if head in ("AttribAccessDict", "Dict", "dict"):
        if not isinstance(value, dict):
            errors.append(f"{path}: expected an object, got {type(value).__name__}")
        elif len(args) == 2:
            for key, item in value.items():
                _check(item, args[1], f"{path}.{key}", errors, depth + 1)
        return
    simple: dict[str, tuple[type, ...]] = {
        "str": (str,),
        "bool": (bool,),
        "float": (int, float),
        "IdType": (str,),  # Mastodon renders every ID as a string
        "MaybeSnowflakeIdType": (str,),
        "PrimitiveIdType": (str,),
    }
    if head == "datetime":
        try:
            datetime.fromisoformat(str(value))
        except ValueError:
            errors.append(f"{path}: expected an ISO 8601 date, got {value!r:.80}")
        if not isinstance(value, str):
            errors.append(f"{path}: expected an ISO 8601 string, got {type(value).__name__}")
        return
    if head == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{path}: expected int, got {type(value).__name__} {value!r}")
        return
    if head in simple:
        if not isinstance(value, simple[head]):
            errors.append(f"{path}: expected {head}, got {type(value).__name__} {value!r:.80}")
        return
    if head in _fields():
        if not isinstance(value, dict):
            errors.append(f"{path}: expected {head} object, got {type(value).__name__}")
            return
        _check_entity(value, head, path, errors, depth + 1)
        return
    # Any, TypeVars and types this checker does not model: accept.


def _check_entity(
    value: dict[str, Any], entity: str, path: str, errors: list[str], depth: int
) -> None:
    renames = getattr(getattr(return_types, entity, None), "_rename_map", {})
    for attr, (annotation, added) in _fields()[entity].items():
        name = renames.get(attr, attr)  # the wire name, e.g. "posting:default:visibility"
        required = not annotation.startswith("Optional[") and added <= REQUIRED_BY
        required = required and (entity, attr) not in NULLABLE_IN_PRACTICE
        if value.get(name) is None:
            if required:
                since = ".".join(map(str, added))
                errors.append(f"{path}.{name}: missing or null ({annotation}, Mastodon {since})")
            continue
        if (entity, attr) in EPOCH_STRINGS:
            if not (isinstance(value[name], str) and value[name].isdigit()):
                errors.append(
                    f"{path}.{name}: expected a UNIX timestamp string, got {value[name]!r}"
                )
            continue
        reduced = REDUCED.get((entity, name))
        if reduced is not None:
            for key, key_annotation in reduced.items():
                _check(value[name].get(key), key_annotation, f"{path}.{name}.{key}", errors, depth)
            continue
        _check(value[name], annotation, f"{path}.{name}", errors, depth)


class RecordingSession(requests.Session):
    """A default requests.Session that remembers the last response (for `assert_entity`)."""

    last: requests.Response | None = None

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = super().request(*args, **kwargs)
        RecordingSession.last = response
        return response


def entity_errors(value: Any, entity: str) -> list[str]:
    """Shape errors of the JSON `value` as Mastodon.py's entity `entity` (or `list[Entity]`)."""
    errors: list[str] = []
    if entity.startswith("list["):
        _check(value, f"NonPaginatableList[{entity[5:-1]}]", entity, errors, 0)
    else:
        _check(value, entity, entity, errors, 0)
    return errors


def assert_entity(value: Any, entity: str) -> Any:
    """Assert the JSON of the response that produced `value` (Mastodon.py's return value) has
    the shape of Mastodon.py's entity `entity`; returns `value` for chaining."""
    last = RecordingSession.last
    assert last is not None, "no response recorded: build clients with RecordingSession"
    raw = last.json()
    if isinstance(value, dict) and "id" in value and isinstance(raw, dict):
        assert raw.get("id") == str(value["id"]), "the last response is not this entity's"
    if isinstance(value, list):
        assert isinstance(raw, list) and len(raw) == len(value), (
            "the last response is not this list"
        )
    errors = entity_errors(raw, entity)
    assert not errors, (
        f"{entity} from {last.request.method} {last.request.url} does not match Mastodon.py's "
        "entity:\n  " + "\n  ".join(errors)
    )
    return value
