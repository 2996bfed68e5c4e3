"""Fixtures for the browser tests: Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it drives ``/usr/bin/chromium``
(``tools/install-browser.sh`` installs it; ``MLSNN_EDU_CHROMIUM`` points
elsewhere). Without Chromium the tests skip with the reason, except under
``CI=true``, where they fail: CI must run them.

Every page gets a :class:`PageGuard`: requests to any host but the local server
are blocked and recorded, and failed requests, HTTP errors, console errors and
uncaught exceptions are collected for the test to assert on.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000


def unavailable(reason: str) -> None:
    """Skip with ``reason``, or fail under CI, where the browser tests must run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run; see tools/install-browser.sh)")
    pytest.skip(reason)


def find_chromium() -> str | None:
    candidates = [os.environ.get("MLSNN_EDU_CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(name) for name in ("chromium", "chromium-browser")]
    return next((path for path in candidates if path and os.access(path, os.X_OK)), None)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PageGuard:
    """Watches one page: blocks outside requests and records every kind of failure."""

    def __init__(self, context, local_prefix: str, allowed_outside: tuple[str, ...] = ()) -> None:
        self.local_prefix = local_prefix
        self.allowed_outside = allowed_outside
        self.outside: list[str] = []  # attempted requests to other hosts (blocked)
        self.blocked_allowed: list[str] = []  # whitelisted outside requests (blocked too)
        self.failed: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        context.route("**/*", self._route)
        self.page = context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(self.local_prefix):
            route.continue_()
            return
        allowed = url.startswith(self.allowed_outside) if self.allowed_outside else False
        (self.blocked_allowed if allowed else self.outside).append(url)
        route.abort("blockedbyclient")

    def _is_allowed_block(self, url: str) -> bool:
        return url in self.blocked_allowed

    def _request_failed(self, request) -> None:
        if not self._is_allowed_block(request.url) and request.url not in self.outside:
            self.failed.append(f"{request.url}: {request.failure}")

    def _response(self, response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.url}: HTTP {response.status}")

    def _console(self, message) -> None:
        if message.type != "error":
            return
        source = (message.location or {}).get("url", "")
        if message.text.startswith("Failed to load resource") and (
            self._is_allowed_block(source) or source in self.outside
        ):
            return  # the block itself, already recorded (and asserted) above
        self.console_errors.append(f"{message.text} ({source})")

    def problems(self) -> dict[str, list[str]]:
        """Every problem seen so far, by kind; empty lists when the page is clean."""
        return {
            "requests to outside hosts": self.outside,
            "failed requests": self.failed,
            "console errors": self.console_errors,
            "uncaught exceptions": self.page_errors,
        }


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    path = find_chromium()
    if path is None:
        unavailable("no Chromium found: run tools/install-browser.sh (Debian's chromium package)")
    return path


@pytest.fixture(scope="session")
def browser(chromium_executable: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS, headless=True, timeout=60_000
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def open_guarded(browser) -> Iterator[object]:
    """``open_guarded(local_prefix, allowed_outside=())`` -> a :class:`PageGuard` on a fresh page."""
    contexts = []

    def open_page(local_prefix: str, allowed_outside: tuple[str, ...] = ()) -> PageGuard:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        return PageGuard(context, local_prefix, allowed_outside)

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (ignored by git; CI keeps them as test artifacts)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
