"""Debian's headless Chromium for browser tests, through Playwright (never `playwright install`).

The browser tests (tests/e2e/test_browser.py, test_docs_offline.py) launch
``/usr/bin/chromium`` with these same flags; new tests use :func:`chromium`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
#: No sandbox (containers), no GPU, and nothing fetched on the browser's own account.
FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking")


@contextmanager
def chromium(*extra: str) -> Iterator[Any]:
    """A launched headless Chromium (a Playwright Browser); the test skips without one."""
    if not Path(CHROMIUM).exists():
        pytest.skip("needs Debian chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*FLAGS, *extra])
        try:
            yield browser
        finally:
            browser.close()
