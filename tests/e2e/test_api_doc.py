"""docs/api.md cannot drift: every route of the app is documented, and nothing else is claimed.

Endpoints are written in the doc as `METHOD /path` in backticks, with FastAPI's path syntax.
The section "Not yet implemented" names Mastodon endpoints that must NOT be in the route table.
"""

from __future__ import annotations

import re
from pathlib import Path

from chaupal.api.routes import iter_routes
from chaupal.app import create_app
from chaupal.config import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
NOT_IMPLEMENTED_HEADING = "## Not yet implemented"
ENDPOINT = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`")


def route_table() -> set[tuple[str, str]]:
    return set(iter_routes(create_app(Settings(data_dir=Path("/nonexistent-not-used")))))


def _doc_sections() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    text = DOC.read_text(encoding="utf-8")
    implemented, _, missing = text.partition(NOT_IMPLEMENTED_HEADING)
    assert missing, f"docs/api.md needs a '{NOT_IMPLEMENTED_HEADING}' section"
    return set(ENDPOINT.findall(implemented)), set(ENDPOINT.findall(missing))


def test_route_table_walk__finds_the_core_routes() -> None:
    routes = route_table()
    assert ("GET", "/api/v1/instance") in routes
    assert ("POST", "/oauth/token") in routes


def test_api_doc__documents_every_route() -> None:
    documented, _ = _doc_sections()
    undocumented = sorted(route_table() - documented)
    assert not undocumented, "routes missing from docs/api.md:\n" + "\n".join(
        f"  `{m} {p}`" for m, p in undocumented
    )


def test_api_doc__claims_no_route_the_app_lacks() -> None:
    documented, _ = _doc_sections()
    phantom = sorted(documented - route_table())
    assert not phantom, "docs/api.md documents routes the app does not have:\n" + "\n".join(
        f"  `{m} {p}`" for m, p in phantom
    )


def _shape(endpoints: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """Endpoints keyed by their path with parameter names erased (`{id}` ~ `{status_id}`)."""
    return {(m, re.sub(r"\{[^}]*\}", "{}", p)): (m, p) for m, p in endpoints}


def test_api_doc__not_implemented_list_is_really_not_implemented() -> None:
    _, missing = _doc_sections()
    assert missing, "the not-implemented section lists no endpoints"
    routed = _shape(route_table())
    wrongly = sorted(routed[key] for key in _shape(missing).keys() & routed.keys())
    assert not wrongly, "listed as not implemented but routed:\n" + "\n".join(
        f"  `{m} {p}`" for m, p in wrongly
    )
