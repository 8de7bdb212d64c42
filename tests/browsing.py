"""Browser fixtures shared by the browser tests: Debian's Chromium through Playwright, the real
built site served on a loopback port, and the real offline zip unpacked into a temporary folder.

Loaded as a plugin by conftest.py (``pytest_plugins = ["browsing"]``); the server and the browser
are started by the first test that needs them and stopped when the session ends.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from build_scripts.serving import serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def site_server(built_site: Path) -> Iterator[str]:
    """The built site on http://127.0.0.1:<free port>/, served from a thread; yields the base URL."""
    with serve(built_site) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (Playwright's own download is not used)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def offline_copy(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The offline zip that the real build published in its downloads, unzipped; returns its folder."""
    from build_scripts.pipeline import OFFLINE_NAME

    target = tmp_path_factory.mktemp("offline-unzipped")
    with zipfile.ZipFile(built_site / "downloads" / OFFLINE_NAME) as zf:
        zf.extractall(target)
    return target / "edney-2015-edition"


def type_query(tab: Any, query: str) -> None:
    """Type ``query`` into Material's search box and wait until the results (or "No matching") show."""
    box = tab.locator("input.md-search__input")
    box.click()
    box.fill(query)
    tab.keyboard.press("End")
    tab.wait_for_function(
        "() => /matching|No matching/.test(document.querySelector('.md-search-result__meta').textContent)"
    )
