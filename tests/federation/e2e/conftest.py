"""Fixtures for the multi-server federation tests: a pair (A on SQLite at 127.0.0.1, B on
PostgreSQL at 127.0.0.2); modules that need more start their own with `harness.instances`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.federation.e2e.harness import Instance, instances


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Instance]]:
    with instances(
        tmp_path_factory,
        ("a", "127.0.0.1", "sqlite", {}),
        ("b", "127.0.0.2", "postgres", {}),
    ) as (a, b):
        yield a, b


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """Attach every server's log tail to a failing test, so a 500 or a refused delivery shows."""
    report = yield
    if report.failed:
        found: list[Instance] = []
        for value in getattr(item, "funcargs", {}).values():
            values = value if isinstance(value, (tuple, list)) else [value]
            found += [v for v in values if isinstance(v, Instance)]
        for inst in found:
            report.sections.append((f"chaupal serve log ({inst.server.backend})", inst.server.log_tail(80)))
    return report
