"""Browser fixtures for the desk: Debian's Chromium driven by Playwright (which never
downloads a browser here), and the real hub on a real loopback port with its embedded
worker translating with the synthetic models.

Without ``/usr/bin/chromium`` the browser tests skip, naming the package to install; under
CI (``CI=true``, as .ci/run sets it, and .ci/run installs the package) they fail instead,
as an unreachable PostgreSQL does."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from hub.agencies import service as agencies
from hub.runtime import HubRuntime
from tests.conftest import UNDER_CI
from tests.fixtures.hub import served_hub

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "desk-screenshots"
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped, not session-scoped: Playwright's sync API keeps an asyncio loop running
    in this thread while it is started, and later tests call ``asyncio.run``."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) for the desk's browser tests"
        if UNDER_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
        yield launched
        launched.close()


@dataclass
class DeskHub:
    url: str
    runtime: HubRuntime
    keys: dict[str, str]

    def push(self, key: str, document: dict[str, object]) -> str:
        response = httpx.post(f"{self.url}/v1/stories", json=document, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def post(self, key: str, path: str, body: object) -> None:
        response = httpx.post(f"{self.url}{path}", json=body, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code in (200, 201), response.text

    def wait_translated(self, story_id: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"Bearer {self.keys['azertac']}"}
        while True:
            statuses = httpx.get(f"{self.url}/v1/stories/{story_id}/translations", headers=headers).json()
            if {t["status"] for t in statuses["translations"]} == {"done"}:
                return
            assert time.monotonic() < deadline, statuses
            time.sleep(0.1)


@pytest.fixture
def desk_hub(tmp_path: Path, database_url: str, installed_models_dir: Path) -> Iterator[DeskHub]:
    """A member agency (azertac: push, pull), a partner (trt: pull) and an admin (ulak)."""
    settings = {"models_dir": installed_models_dir, "worker_poll_seconds": 0.05}
    with served_hub(tmp_path / "data", database_url, **settings) as (url, runtime):
        keys = {}
        with runtime.write() as session:
            for code, name, partner, scopes in (
                ("azertac", "AZERTAC", False, "push,pull"),
                ("trt", "TRT Haber", True, "pull"),
                ("ulak", "Ulak operators", False, "admin"),
            ):
                agencies.create_agency(session, code, name=name, is_partner=partner)
                keys[code] = agencies.create_key(session, code, scopes).plaintext
        yield DeskHub(url, runtime, keys)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def sign_in() -> Callable[[Page, str, str], None]:
    def signed_in(page: Page, url: str, key: str) -> None:
        page.goto(f"{url}/desk")
        page.get_by_label("API key").fill(key)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{url}/desk/incoming")

    return signed_in


def screenshot(page: Page, name: str) -> None:
    """``build/desk-screenshots/<name>-<width>.png`` at each width, full page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    if original is not None:
        page.set_viewport_size(original)


@pytest.fixture
def browser_page_pair(browser: Browser) -> Iterator[tuple[Page, Page]]:
    """Two browsers' worth of pages (separate cookie jars): an admin and another user."""
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    for context in contexts:
        context.set_default_timeout(15_000)
    yield contexts[0].new_page(), contexts[1].new_page()
    for context in contexts:
        context.close()
