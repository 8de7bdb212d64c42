"""Browser fixtures shared by the browser tests: Debian's Chromium through Playwright, the real
built site served on a loopback port, and the real offline zip unpacked into a temporary folder.

Loaded as a plugin by conftest.py (``pytest_plugins = ["browsing"]``); the server and the browser
are started by the first test that needs them and stopped when the session ends.
"""

from __future__ import annotations

import contextlib
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


#: A reader's desktop window and a phone (the phone tests' device: a CSS viewport 390 px wide).
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


def _one_tab(browser: Any, site_server: str, device: dict[str, Any]) -> Iterator[Any]:
    """One tab in its own context, kept for the session (clipboard allowed on the site's origin)."""
    context = browser.new_context(**device)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_server.rstrip("/"))
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def _desktop_tab(browser: Any, site_server: str) -> Iterator[Any]:
    yield from _one_tab(browser, site_server, DESKTOP)


@pytest.fixture(scope="session")
def _phone_tab(browser: Any, site_server: str) -> Iterator[Any]:
    yield from _one_tab(browser, site_server, PHONE)


def fresh(tab: Any) -> Any:
    """``tab`` as a new one would be: its cookies and its last page's storage cleared, then on about:blank.

    Tests share one tab per device and worker: a new context and tab cost Chromium a renderer
    process and a cold start of the theme's scripts, about 2 CPU-seconds, which was more than half
    of the browser tests' time when every test opened its own. What a page of this site keeps lives
    in cookies, its origin's storage or the document, so clearing the first two and leaving the
    document gives the next test a clean page. Tests that need what a shared tab cannot undo (init
    scripts, routes) open their own context.
    """
    tab.evaluate("() => { try { localStorage.clear(); sessionStorage.clear(); } catch (e) {} }")
    tab.context.clear_cookies()
    tab.goto("about:blank")
    tab.mouse.move(0, 0)
    return tab


@pytest.fixture
def page(_desktop_tab: Any) -> Any:
    """A desktop tab (1280 × 900) on about:blank, clipboard allowed on the site's origin."""
    return fresh(_desktop_tab)


@pytest.fixture
def phone(_phone_tab: Any) -> Any:
    """A phone's tab (390 × 844 CSS pixels, touch) on about:blank."""
    return fresh(_phone_tab)


@pytest.fixture
def own_page(browser: Any) -> Iterator[Any]:
    """A desktop tab in a context of its own (no clipboard permission), for a test that changes what the
    shared tab cannot undo: an init script, a route."""
    context = browser.new_context(**DESKTOP)
    try:
        yield context.new_page()
    finally:
        context.close()


@contextlib.contextmanager
def requests_made(tab: Any) -> Iterator[list[str]]:
    """The URL of every request ``tab`` makes inside the ``with`` block."""
    urls: list[str] = []

    def record(request: Any) -> None:
        urls.append(request.url)

    tab.on("request", record)
    try:
        yield urls
    finally:
        tab.remove_listener("request", record)


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
