"""The playground in a real browser: headless Chromium from Debian's packages, driven by Playwright.

Playwright cannot download its own browsers here, so it launches /usr/bin/chromium (CHROMIUM overrides);
`.ci/run` installs it. Each test gets a fresh playground (its own catalog copy and SQLite file) and a page
that acts through the UI only. `shot()` saves a screenshot of each step under tests/screenshots/<test>/
(git-ignored), for a person to look at when a test fails, and for the README's picture: docs/playground.png
is test_new_employee_from_the_slash_command_to_the_final_approval/05-hr-approver-asked.png, copied by hand.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, Page, ViewportSize, async_playwright, expect

from cli.playground.session import Playground, PlaygroundOptions

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
VIEWPORT: ViewportSize = {"width": 1100, "height": 760}
expect.set_options(timeout=10_000)


class PlaygroundPage:
    """One browser tab on the playground, with the steps people take, by what they see on the page."""

    def __init__(self, page: Page, playground: Playground, shots: Path) -> None:
        self.page = page
        self.playground = playground
        self._shots = shots
        self._count = 0

    async def shot(self, name: str) -> Path:
        self._count += 1
        path = self._shots / f"{self._count:02d}-{name}.png"
        await self.page.screenshot(path=str(path))
        return path

    async def act_as(self, name: str) -> None:
        await self.page.get_by_label("Acting as").select_option(label=name)
        await expect(self.page.get_by_label("Acting as")).to_have_value(self._id_of(name))

    async def send(self, text: str) -> None:
        box = self.page.get_by_label("Message")
        await box.fill(text)
        await box.press("Enter")
        await expect(box).to_have_value("")

    def modal(self, title: str) -> Locator:
        return self.page.get_by_role("dialog", name=title)

    def messages(self) -> Locator:
        return self.page.locator("article.message")

    def message(self, containing: str) -> Locator:
        return self.messages().filter(has_text=containing)

    async def tab(self, name: str) -> None:
        await self.page.get_by_role("tab", name=name).click()

    def _id_of(self, name: str) -> str:
        catalog = self.playground.runtime.catalog
        assert catalog is not None
        return next((user for user, shown in catalog().people.items() if shown == name), name)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


@dataclass(frozen=True)
class Written:
    """A catalog given by its text, for the playground fixture (indirect parametrize) to write."""

    text: str


def playground_options(tmp_path: Path, port: int = 0) -> PlaygroundOptions:
    return PlaygroundOptions(str(tmp_path / "catalog.yaml"), port, data_dir=tmp_path / "data", watch_every=0.1)


@pytest.fixture
async def playground(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Playground]:
    """A playground on a copy of the shipped catalog (or of the one a test names, or gives as Written text:
    indirect parametrize), which it reads at start, as ``selfserve playground`` does."""
    source = getattr(request, "param", "catalog.yaml")
    if isinstance(source, Written):
        (tmp_path / "catalog.yaml").write_text(source.text)
    else:
        shutil.copy(ROOT / source, tmp_path / "catalog.yaml")
    running = Playground(playground_options(tmp_path))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def screenshots(request: pytest.FixtureRequest) -> Path:
    """An empty folder for the test's screenshots."""
    shots = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    return shots


@asynccontextmanager
async def tabs(browser: Browser, url: str) -> AsyncIterator[Callable[[], Awaitable[Page]]]:
    """Opens tabs on `url` in one browser window (they share localStorage, as tabs do); on leaving, fails if
    the page's script failed in any of them."""
    context = await browser.new_context(viewport=VIEWPORT)
    errors: list[str] = []

    async def open_tab() -> Page:
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(url)
        return page

    try:
        yield open_tab
    finally:
        await context.close()
    assert errors == [], f"the page's script failed: {errors}"


@pytest.fixture
async def ui(browser: Browser, playground: Playground, request: pytest.FixtureRequest) -> AsyncIterator[PlaygroundPage]:
    async with tabs(browser, playground.url) as open_tab:
        yield PlaygroundPage(await open_tab(), playground, screenshots(request))
