"""Real-browser journeys: Playwright driving Debian's chromium against pytest-django's live server.

A page fails the journey on any console error, uncaught exception, Content-Security-Policy
violation or request to a host other than the live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}

CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watched:
    """A page plus everything that went wrong on it."""

    def __init__(self, page: Any, name: str):
        self.page = page
        self.name = name
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("request", self._request)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _request(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.hostname not in LOCAL_HOSTS:
            self.problems.append(f"request to another host: {request.url}")

    def shot(self, step: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def check(self) -> None:
        violations = self.page.evaluate("window.__cspViolations || []")
        self.problems += [f"CSP violation: {v}" for v in violations]
        assert self.problems == [], self.problems


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []
    watched: list[Watched] = []

    def _open(name: str, locale: str, viewport: dict[str, int] | None = None) -> Watched:
        context = browser.new_context(
            locale=locale, viewport=viewport or {"width": 1366, "height": 900}
        )
        context.add_init_script(CSP_PROBE)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = Watched(context.new_page(), name)
        watched.append(page)
        return page

    yield _open
    try:
        for page in watched:
            page.check()
    finally:
        for context in contexts:
            context.close()
