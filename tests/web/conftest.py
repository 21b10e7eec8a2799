"""Browser tests: a real `chaupal serve` (the e2e harness's fixture) and Debian's Chromium
driven by Playwright. Never downloads a browser: without /usr/bin/chromium the browser tests
skip, except under CI=true, where they fail."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import e2e_backend, e2e_server  # noqa: F401  (the real-server fixtures)

CHROMIUM = os.environ.get("CHAUPAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _missing(message: str) -> None:
    if CI:
        pytest.fail(f"{message}; CI=true requires it (apt-get install -y chromium)", pytrace=False)
    pytest.skip(f"{message}: browser tests skipped (apt-get install -y chromium; pip install -e '.[test]')")


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, and every later test that calls asyncio.run() would then fail.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the Python package playwright is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
