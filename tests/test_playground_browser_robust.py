"""The playground page under stress: a broken catalog at start, hostile text, a server restart, two tabs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect
from slack_sdk.web.async_client import AsyncWebClient

from cli.playground.session import Playground
from tests.browser import ROOT, PlaygroundPage, Written, playground_options, tabs
from tests.test_cli import BROKEN_CATALOG, broken_problems
from tests.test_playground_browser import FORM, HANA, HUGO, submit_new_employee

EVIL = "<img src=x onerror=window.pwned=1><script>window.pwned=1</script>"
"""A name or a text that would run script if it ever reached the page as HTML."""


def bot_client(playground: Playground) -> AsyncWebClient:
    stub = playground.stub
    return AsyncWebClient(token=stub.identity.bot_token, base_url=stub.api_url)


@pytest.mark.parametrize("playground", [Written(BROKEN_CATALOG)], indirect=True)
async def test_a_catalog_with_problems_at_start_shows_them_then_the_forms_once_saved_fixed(ui: PlaygroundPage) -> None:
    path = Path(ui.playground.options.catalog_path)
    problems = ui.page.get_by_role("alertdialog", name="catalog.yaml has 4 problems")
    await expect(problems).to_be_visible()
    await expect(problems.get_by_role("listitem")).to_have_text(broken_problems(path))
    await ui.shot("problems-at-start")

    shutil.copy(ROOT / "catalog.yaml", path)
    await expect(problems).to_be_hidden()
    await expect(ui.page.get_by_role("status")).to_contain_text("Catalog loaded: the app is running")
    await expect(ui.page.get_by_label("Acting as")).to_have_value("U0HR1")
    await ui.send("/selfserve new-employee")
    await expect(ui.modal(FORM)).to_be_visible()
    await ui.shot("fixed-form")


async def test_text_from_messages_and_people_never_becomes_html_or_script(ui: PlaygroundPage) -> None:
    stub, page = ui.playground.stub, ui.page
    stub.add_user("U0EVIL", name="evil", real_name=EVIL, display_name=EVIL)
    stub.add_channel("C0EVIL", EVIL)
    text = ("<javascript:window.pwned=1|js link> <JavaScript:window.pwned=1> "
            "<data:text/html,%3Cscript%3Ewindow.pwned=1%3C/script%3E|data link> <https://example.com/ok|web> "
            "<mailto:a@example.com|mail> &lt;script&gt;window.pwned=1&lt;/script&gt; "
            "<@U0EVIL> <#C0EVIL> <@U0NOBODY|" + EVIL.replace("<", "&lt;").replace(">", "&gt;") + ">")
    await bot_client(ui.playground).chat_postMessage(channel="C0GENERAL", text="hostile", blocks=[
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "image", "image_url": "https://example.com/x.png", "alt_text": EVIL},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": "evil.url", "text": {"type": "plain_text", "text": "Open"},
             "url": "javascript:window.pwned=1"}]},
    ])
    popups: list[Page] = []
    page.context.on("page", lambda popup: popups.append(popup))
    await page.get_by_role("button", name="# general").click()
    message = ui.message("js link")
    await expect(message).to_contain_text("js link JavaScript:window.pwned=1 data link web mail "
                                          "<script>window.pwned=1</script> @" + EVIL + " #" + EVIL + " @" + EVIL)
    await expect(message.get_by_role("link")).to_have_count(2)  # only the web and mail links are links
    await expect(message.get_by_role("link", name="web")).to_have_attribute("href", "https://example.com/ok")
    await expect(message.get_by_role("link", name="mail")).to_have_attribute("href", "mailto:a@example.com")
    await expect(message).to_contain_text("🖼 " + EVIL)  # an image's alt text, never the image or markup
    await ui.shot("hostile-message")
    await message.get_by_role("button", name="Open").click()
    await ui.send("<javascript:window.pwned=1|typed link> &lt;b&gt; " + EVIL)  # as a person types it
    typed = ui.message("typed link")
    await expect(typed.locator(".section-body")).to_have_text(
        "<javascript:window.pwned=1|typed link> &lt;b&gt; " + EVIL)
    await expect(page.get_by_label("Acting as").get_by_role("option", name=EVIL)).to_have_count(1)
    await expect(page.locator("#pane img, #pane script, #pane iframe, #pane a[href^='javascript' i]")).to_have_count(0)
    assert await page.evaluate("window.pwned") is None and popups == []


async def test_the_page_reconnects_when_the_playground_restarts(browser: Browser, tmp_path: Path) -> None:
    shutil.copy(ROOT / "catalog.yaml", tmp_path / "catalog.yaml")
    first = Playground(playground_options(tmp_path))
    url = await first.start()
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    async with tabs(browser, url) as open_tab:
        page = await open_tab()
        await page.get_by_role("button", name="# general").click()
        await bot_client(first).chat_postMessage(channel="C0GENERAL", text="before the restart")
        await expect(page.locator("article.message", has_text="before the restart")).to_be_visible()
        await first.stop()
        await expect(page.locator("#connection")).to_be_visible()
        second = Playground(playground_options(tmp_path, port))  # a restart: a new, empty workspace
        await second.start()
        try:
            await expect(page.locator("#connection")).to_be_hidden()
            await expect(page.locator("article.message", has_text="before the restart")).to_have_count(0)
            await bot_client(second).chat_postMessage(channel="C0GENERAL", text="after the restart")
            await expect(page.locator("article.message", has_text="after the restart")).to_be_visible()  # live
        finally:
            await second.stop()


async def test_two_tabs_as_two_people_stay_consistent(browser: Browser, playground: Playground,
                                                      request: pytest.FixtureRequest) -> None:
    async with tabs(browser, playground.url) as open_tab:
        hana = PlaygroundPage(await open_tab(), playground, Path())
        await expect(hana.page.get_by_label("Acting as")).to_have_value("U0HR1")
        hugo = PlaygroundPage(await open_tab(), playground, Path())
        await hugo.act_as(HUGO)
        await submit_new_employee(hana)
        ask = hugo.message("Approval needed")
        await expect(ask.get_by_role("button", name="Approve")).to_be_visible()  # arrived live in the other tab
        await ask.get_by_role("button", name="Reject").click()
        reason = hugo.modal("Reject request")
        await reason.get_by_label("Reason (the requester will see it)").fill("Not this week")
        await reason.get_by_role("button", name="Reject").click()
        await expect(hana.message("was rejected")).to_contain_text("Not this week")  # live, still as Hana
        await expect(hana.page.get_by_label("Acting as")).to_have_value("U0HR1")
        await expect(hana.modal("Reject request")).to_have_count(0)  # Hugo's modal never showed in her tab
        await hana.page.reload()  # Hugo was picked last (localStorage), but this tab is Hana's
        await expect(hana.page.get_by_label("Acting as")).to_have_value("U0HR1")
        await expect(hana.message("was rejected")).to_be_visible()
        await hugo.page.reload()
        await expect(hugo.page.get_by_label("Acting as")).to_have_value("U0HR2")
        await expect(hugo.message("Approval needed")).to_contain_text("Rejected by @Hugo Brandt (HR)")
        assert HANA in await hana.page.get_by_label("Acting as").inner_text()


async def test_a_mangled_address_still_opens_the_page(browser: Browser, playground: Playground) -> None:
    async with tabs(browser, playground.url + "#%E0%A4%A") as open_tab:
        page = await open_tab()
        await expect(page.get_by_label("Acting as")).to_have_value("U0HR1")
        await expect(page).to_have_url(playground.url + "#U0HR1")
