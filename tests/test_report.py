"""``selfserve report``: JSON and Markdown figures from the CLI, and the HTML rendered in headless
Chromium, whose screenshot must show each chart with the right numbers (tests/analytics_history.py)."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from cli import report as report_cli
from cli.report_html import report_html
from domain.analytics import Analytics
from domain.catalog import load_catalog
from storage.database import Database
from tests.analytics_history import CATALOG, NOW, write_history
from tests.browser import SCREENSHOTS, VIEWPORT

FUNNEL_COLORS = {"opened": (0x8E, 0x9A, 0xAF), "submitted": (0x4A, 0x7B, 0xD0), "approved": (0x2E, 0x9E, 0x5B)}


async def test_the_cli_writes_json_and_markdown(database: Database, database_url: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    await write_history(database, datetime.now(UTC))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CATALOG_PATH", str(CATALOG))
    out, err = io.StringIO(), io.StringIO()
    assert await report_cli.main(30, "json", str(tmp_path / "r.json"), out, err) == 0, err.getvalue()
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    laptop = next(a for a in data["actions"] if a["action_id"] == "laptop")
    assert (laptop["opened"], laptop["submitted"], laptop["approved"], laptop["abandoned"]) == (8, 5, 2, 2)
    assert laptop["completion"] == {"count": 2, "p50": 3 * 3600.0, "p90": 8 * 3600.0}
    assert (data["total"]["hours_saved"], data["total"]["satisfaction"], data["days"]) == (1.25, 0.75, 30)
    assert await report_cli.main(30, "md", None, out, err) == 0
    assert "| `laptop` | 8 | 5 | 2 | 0 | 2 | 1 h | 3 h | 8 h | 67% | 20% | 80% | 40% | 1 h |" in out.getvalue()
    assert await report_cli.main(0, "md", None, out, err) == 1 and "--days" in err.getvalue()


async def _pixels_of(page: Page, png: bytes, y: int, color: tuple[int, int, int]) -> int:
    """How many pixels on row ``y`` of the screenshot have ``color`` (decoded by the browser itself)."""
    return int(await page.evaluate("""async ([data, y, rgb]) => {
        const image = new Image(); image.src = 'data:image/png;base64,' + data; await image.decode();
        const canvas = document.createElement('canvas'); canvas.width = image.width; canvas.height = image.height;
        const context = canvas.getContext('2d'); context.drawImage(image, 0, 0);
        const row = context.getImageData(0, y, image.width, 1).data; let count = 0;
        for (let i = 0; i < row.length; i += 4)
            if (Math.abs(row[i] - rgb[0]) < 4 && Math.abs(row[i + 1] - rgb[1]) < 4 && Math.abs(row[i + 2] - rgb[2]) < 4)
                count++;
        return count; }""", [base64.b64encode(png).decode(), y, list(color)]))


async def test_the_html_report_shows_its_charts_with_the_right_numbers(database: Database, browser: Browser) -> None:
    await write_history(database)
    catalog = load_catalog(CATALOG)
    html = report_html(await Analytics(lambda: catalog, database.reader, clock=lambda: NOW).report(30))
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "<script" not in html
    shots = SCREENSHOTS / "test_the_html_report_shows_its_charts_with_the_right_numbers"
    shots.mkdir(parents=True, exist_ok=True)
    page = await browser.new_page(viewport=VIEWPORT)
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    await page.set_content(html)
    await page.screenshot(path=str(shots / "01-report.png"), full_page=True)
    assert [u for u in fetched if not u.startswith(("data:", "about:"))] == []  # nothing outside the page
    charts = page.locator("svg.chart")
    assert [await c.get_attribute("data-chart") for c in await charts.all()] == [
        "funnel", "completion", "satisfaction", "hours"]
    for chart in await charts.all():
        assert await chart.is_visible()
    assert await page.locator('[data-figure="Requests"] b').inner_text() == "8"
    assert await page.locator('[data-figure="Satisfaction"] b').inner_text() == "75% 👍"
    funnel = page.locator('svg[data-chart="funnel"]')
    bars = {stage: funnel.locator(f'rect[data-action="laptop"][data-stage="{stage}"]') for stage in FUNNEL_COLORS}
    assert [await bars[s].get_attribute("data-value") for s in FUNNEL_COLORS] == ["8", "5", "2"]
    assert "8" in await funnel.locator("text.value").all_text_contents()
    # the screenshot: each laptop bar drawn in its stage's colour, as long as its share of the 8 opened forms
    png = await funnel.screenshot(path=str(shots / "02-funnel.png"))
    top = await funnel.bounding_box()
    assert top is not None
    for stage, value in (("opened", 8), ("submitted", 5), ("approved", 2)):
        box = await bars[stage].bounding_box()
        assert box is not None
        drawn = await _pixels_of(page, png, round(box["y"] - top["y"] + box["height"] / 2), FUNNEL_COLORS[stage])
        assert abs(drawn - 420 * value / 8) <= 3, (stage, drawn)
    days = page.locator('svg[data-chart="completion"] rect[data-day]')
    assert {await d.get_attribute("data-day"): await d.get_attribute("data-value") for d in await days.all()} == {
        "2026-03-21": "3 h", "2026-03-22": "8 h", "2026-03-26": "0 h", "2026-03-30": "0 h"}
    assert "67% 👍 (2/3)" in (await page.locator('svg[data-chart="satisfaction"]').text_content() or "")
    hours = page.locator('svg[data-chart="hours"] text.value')
    assert await hours.all_text_contents() == ["1 h", "0.2 h"]
    await page.close()
