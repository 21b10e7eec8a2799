"""The coverage YAML file (`chaupal gov import FILE`): a government and the tree of entities
expected to be present, parsed and validated in full before anything is written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from chaupal.config import Settings
from chaupal.models.gov import INSTITUTION_CATEGORIES

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
MAX_KEY_CHARS = 128  # gov_expected_entities.key
MAX_NAME_CHARS = 255
MAX_JURISDICTION_CHARS = 128
MAX_USERNAME_CHARS = 64
TOP_KEYS = {"version", "government"}
GOVERNMENT_KEYS = {"key", "name", "jurisdiction", "username", "category", "entities"}
ENTITY_KEYS = {"key", "name", "category", "username", "jurisdiction", "children"}


class CoverageFileError(ValueError):
    """The file is not a valid coverage file; `problems` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Expected:
    """One expected entity, flattened from the tree (parents come before their children)."""

    key: str
    name: str
    category: str
    parent_key: str | None
    jurisdiction: str
    expected_username: str | None


@dataclass(frozen=True)
class CoverageFile:
    government_key: str
    entities: list[Expected]  # the government itself first


def parse_coverage_file(text: str | bytes, settings: Settings) -> CoverageFile:
    """Parse and validate a coverage file; raises CoverageFileError listing every problem."""
    raw = text.encode() if isinstance(text, str) else text
    if len(raw) > settings.max_gov_import_bytes:
        raise CoverageFileError([f"the file is larger than {settings.max_gov_import_bytes} bytes"])
    try:
        doc = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CoverageFileError([f"not valid YAML{where}: {problem}"]) from None
    return _Validator(settings).run(doc)


class _Validator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.problems: list[str] = []
        self.out: list[Expected] = []
        self.seen: set[str] = set()

    def run(self, doc: Any) -> CoverageFile:
        if not isinstance(doc, dict):
            raise CoverageFileError(["the file must be a mapping with a `government` entry"])
        self._unknown(doc, TOP_KEYS, "(top level)")
        version = doc.get("version", 1)
        if version != 1:
            self.problems.append(f"version: only version 1 is understood, not {version!r}")
        gov = doc.get("government")
        if not isinstance(gov, dict):
            raise CoverageFileError([*self.problems, "government: a mapping is required"])
        self._unknown(gov, GOVERNMENT_KEYS, "government")
        jurisdiction = self._text(gov, "jurisdiction", "government", MAX_JURISDICTION_CHARS) or ""
        if not jurisdiction:
            self.problems.append("government.jurisdiction: required (e.g. India, Kerala)")
        key = self._entity(gov, "government", None, jurisdiction, default_category="government")
        children = gov.get("entities", [])
        self._children(children, "government.entities", key, jurisdiction)
        if len(self.out) > self.settings.max_gov_import_entities:
            self.problems.append(
                f"the file declares {len(self.out)} entities; the limit is "
                f"{self.settings.max_gov_import_entities} (max_gov_import_entities)"
            )
        if self.problems or key is None:
            raise CoverageFileError(self.problems or ["government.key: required"])
        return CoverageFile(key, self.out)

    def _unknown(self, node: dict[Any, Any], allowed: set[str], path: str) -> None:
        for name in node:
            if name not in allowed:
                self.problems.append(
                    f"{path}: unknown field {name!r} (allowed: {', '.join(sorted(allowed))})"
                )

    def _text(self, node: dict[Any, Any], field: str, path: str, limit: int) -> str | None:
        value = node.get(field)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.problems.append(f"{path}.{field}: must be text")
            return None
        value = str(value).strip()
        if len(value) > limit:
            self.problems.append(f"{path}.{field}: longer than {limit} characters")
            return None
        return value

    def _children(self, children: Any, path: str, parent: str | None, jurisdiction: str) -> None:
        if children is None:
            return
        if not isinstance(children, list):
            self.problems.append(f"{path}: must be a list")
            return
        for i, child in enumerate(children):
            self._entity(child, f"{path}[{i}]", parent, jurisdiction, default_category="ministry")

    def _entity(
        self, node: Any, path: str, parent: str | None, jurisdiction: str, *, default_category: str
    ) -> str | None:
        if not isinstance(node, dict):
            self.problems.append(f"{path}: must be a mapping with key and name")
            return None
        if path != "government":
            self._unknown(node, ENTITY_KEYS, path)
        key = self._text(node, "key", path, MAX_KEY_CHARS)
        if not key:
            if "key" not in node:
                self.problems.append(f"{path}.key: required")
            key = None
        elif not KEY_RE.match(key):
            self.problems.append(
                f"{path}.key: {key!r} must be lower-case letters, digits, '.', '_' or '-'"
            )
            key = None
        elif key in self.seen:
            self.problems.append(f"{path}.key: {key!r} is declared more than once")
            key = None
        name = self._text(node, "name", path, MAX_NAME_CHARS)
        if not name:
            self.problems.append(f"{path}.name: required")
        category = self._text(node, "category", path, 32) or default_category
        if category not in INSTITUTION_CATEGORIES:
            self.problems.append(
                f"{path}.category: {category!r} is not one of {', '.join(INSTITUTION_CATEGORIES)}"
            )
        username = self._text(node, "username", path, MAX_USERNAME_CHARS)
        if username is not None:
            username = username.lstrip("@")
            if not USERNAME_RE.match(username):
                self.problems.append(f"{path}.username: {username!r} is not a valid username")
        own_jurisdiction = self._text(node, "jurisdiction", path, MAX_JURISDICTION_CHARS)
        jurisdiction = own_jurisdiction or jurisdiction
        if key is not None:
            self.seen.add(key)
            if name:
                self.out.append(Expected(key, name, category, parent, jurisdiction, username or None))
        if path != "government":  # the government's own entities are read by run()
            self._children(node.get("children"), f"{path}.children", key, jurisdiction)
        return key
