"""Fixtures for the web pages: a real ``asb-ledger serve`` with the demo loaded, and
Debian's Chromium driven headless by Playwright for Python, with axe-core on every page.

Browser tests are skipped, loudly, where ``/usr/bin/chromium`` is missing; with
ASB_REQUIRE_BROWSER=1 (as in CI) they fail instead. Screenshots of every page checked go
to ``var/screenshots/<test>/``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.e2e.test_server import Server, _cli, _start

CHROMIUM = "/usr/bin/chromium"
REQUIRE_BROWSER = os.environ.get("ASB_REQUIRE_BROWSER", "") not in {"", "0", "false", "no"}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""As the machine's notes advise: without the background-networking flags Chromium tries
hosts this closed network refuses."""


def browser_unavailable() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    return None


def require_browser() -> None:
    reason = browser_unavailable()
    if reason is None:
        return
    if REQUIRE_BROWSER:
        pytest.fail(f"the browser tests are required (ASB_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


_REFERENCES = """(links) => [...document.querySelectorAll(
    "[src], [href], [action], [formaction], [poster], object[data]")]
  .flatMap((el) => ["src", "href", "action", "formaction", "poster", "data"]
    .filter((a) => links || !(a === "href" && el.localName === "a"))
    .map((a) => el.getAttribute(a)).filter(Boolean))
  .map((v) => { try { return new URL(v, location.href); } catch (e) { return null; } })
  .filter((u) => u && u.protocol.startsWith("http")).map((u) => u.href)"""


@dataclass
class Pages:
    """A browser context on the server, with the checks every page of a journey gets."""

    server: Server
    context: BrowserContext
    shots: Path
    checked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    hosts: set[str] = field(default_factory=set)
    others: list[BrowserContext] = field(default_factory=list)

    def new_page(self, context: BrowserContext | None = None) -> Page:
        """A page whose console errors and every host it asks are kept for the checks (in
        ``context``, from ``new_context``, or the first browser context)."""
        page = (context or self.context).new_page()
        page.on(
            "console",
            lambda m: self.console_errors.append(m.text) if m.type == "error" else None,
        )
        page.on("request", lambda r: self._asked(r.url))
        return page

    def _asked(self, url: str) -> None:
        if url.startswith(("http:", "https:")):  # not data: or blob:
            self.hosts.add(urlsplit(url).netloc)

    def new_context(self) -> BrowserContext:
        """Another browser context on the server, with its own cookies: a second person
        signed in at the same time. Its pages (``new_page(context)``) get the same checks,
        and it is closed with the first."""
        browser = self.context.browser
        assert browser is not None
        other = browser.new_context(base_url=self.server.base_url)
        self.others.append(other)
        return other

    @property
    def own_host(self) -> str:
        return urlsplit(self.server.base_url).netloc

    def check(self, page: Page, name: str) -> None:
        """axe-core finds no violation (WCAG 2.2 A and AA, and best practice); the page
        has a title, a skip link and one h1, and refers to no other host; a screenshot is
        saved."""
        from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

        self.shots.mkdir(parents=True, exist_ok=True)
        shot = self.shots / f"{len(self.checked):02d}-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        self.checked.append(name)
        results = Axe().run(page)
        violations = results.response["violations"]
        assert violations == [], f"{name}: {results.generate_report()}"
        assert page.title().endswith("ASB case ledger"), page.title()
        referenced = self.referenced(page)
        assert referenced.keys() <= {self.own_host}, f"{name} refers to {referenced}"
        assert page.locator("a.govuk-skip-link").count() == 1
        assert page.locator("h1").count() == 1

    def referenced(self, page: Page, links: bool = True) -> dict[str, list[str]]:
        """The addresses the page refers to (in any element's src, href, action, ...; with
        ``links=False``, not a link's href), by host."""
        found: dict[str, list[str]] = {}
        for url in page.evaluate(_REFERENCES, links):
            found.setdefault(urlsplit(url).netloc, []).append(url)
        return found

    def sign_in(self, page: Page, name: str) -> None:
        """Signs in through the development sign-in as the demo user of that name."""
        page.goto("/app/sign-in")
        page.get_by_label(name, exact=True).check()
        page.get_by_role("button", name="Sign in").click()


def demo_server(path: Path) -> Iterator[Server]:
    """``asb-ledger serve`` on SQLite with the demo loaded, as ``make run`` starts it."""
    require_browser()
    data = path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASB_")}
    env["ASB_DATA_DIR"] = str(data)
    done = _cli(path, env, "demo")
    assert done.returncode == 0, done.stderr
    yield from _start(path)


@pytest.fixture
def web_server(tmp_path: Path) -> Iterator[Server]:
    """A server of the test's own (a module may share one: see test_journeys_browser)."""
    yield from demo_server(tmp_path)


@pytest.fixture
def pages(web_server: Server, chromium: Browser, request: pytest.FixtureRequest) -> Iterator[Pages]:
    context = chromium.new_context(base_url=web_server.base_url)
    shots = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shutil.rmtree(shots, ignore_errors=True)
    found = Pages(web_server, context, shots)
    try:
        yield found
    finally:
        for other in found.others:
            other.close()
        context.close()
    csp = [e for e in found.console_errors if "Content Security Policy" in e]
    assert csp == [], csp
    assert found.hosts <= {found.own_host}, f"asked another host: {found.hosts}"
