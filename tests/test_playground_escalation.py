"""An escalation in the playground, in a browser: from Get help on a receipt to resolved, with the
conversation relayed between the support channel's thread and the requester's DM thread."""

from __future__ import annotations

import re

from playwright.async_api import Locator, expect

from tests.browser import PlaygroundPage
from tests.test_playground_browser import FORM, HANA, fill_new_employee

SAM = "Sam Ortiz (support)"


async def open_channel(ui: PlaygroundPage, name: str) -> None:
    await ui.page.locator("#channels").get_by_role("button", name=f"# {name}").click()


async def open_thread(message: Locator) -> None:
    """Show a message's replies (a thread opened before stays open, as in Slack's client)."""
    if not await message.get_by_role("button", name="Hide replies").count():
        await message.get_by_role("button", name=re.compile(r"^\d+ repl")).click()
    await expect(message.get_by_role("button", name="Hide replies")).to_be_visible()


async def test_one_escalation_from_get_help_to_resolved(ui: PlaygroundPage) -> None:
    page = ui.page
    await fill_new_employee(ui)
    await ui.modal(FORM).get_by_role("button", name="Submit").click()
    receipt = ui.message("REQ-1")
    await receipt.get_by_role("button", name="Get help").click()
    await page.get_by_role("alertdialog", name="Ask support?").get_by_role("button", name="Ask support").click()
    await expect(ui.message("Support has it now")).to_be_visible()
    await expect(ui.message("You asked support about your request")).to_be_visible()
    await ui.shot("requester-asked-for-help")

    await ui.act_as(SAM)
    await open_channel(ui, "support")
    escalation = ui.message("ESC-1")
    await expect(escalation).to_contain_text("needs help with REQ-1")
    await expect(escalation).to_contain_text("Open")
    await ui.shot("support-channel")
    await escalation.get_by_role("button", name="Claim").click()
    await expect(escalation).to_contain_text("Claimed by @Sam Ortiz (support)")
    await escalation.get_by_role("button", name="Reply in thread").click()
    await escalation.get_by_label("Reply in thread").fill("Which laptop do you need? <!channel>")
    await escalation.get_by_role("button", name="Reply", exact=True).click()
    await expect(escalation.locator(".thread")).to_contain_text("Which laptop do you need?")
    await ui.shot("support-replied")

    await ui.act_as(HANA)
    await page.locator("#apps").get_by_role("button").first.click()  # her DM with the app
    await ui.tab("Messages")
    root = ui.message("You asked support about your request")
    await open_thread(root)
    thread = root.locator(".thread")
    await expect(thread).to_contain_text("Sam Ortiz (support) (support) wrote:")
    await expect(thread).to_contain_text("Which laptop do you need? <!channel>")  # as typed, never a ping
    await root.get_by_label("Reply in thread").fill("The 14 inch one, please")
    await root.get_by_role("button", name="Reply", exact=True).click()
    await expect(thread).to_contain_text("The 14 inch one, please")
    await ui.shot("requester-replied")

    await ui.act_as(SAM)
    await open_channel(ui, "support")
    escalation = ui.message("ESC-1")
    await open_thread(escalation)
    await expect(escalation.locator(".thread")).to_contain_text("Hana Reyes (HR) (requester) wrote:")
    await escalation.get_by_role("button", name="Resolve").click()
    form = ui.modal("Resolve escalation")
    await form.get_by_label("Resolution note").fill("Ordered a MacBook Pro 14")
    await form.get_by_role("button", name="Resolve").click()
    await expect(form).to_be_hidden()
    await expect(escalation).to_contain_text("Resolved by @Sam Ortiz (support)")
    await expect(escalation.get_by_role("button", name="Reopen")).to_be_visible()
    await ui.shot("support-resolved")

    await ui.act_as(HANA)
    await page.locator("#apps").get_by_role("button").first.click()
    root = ui.message("You asked support about your request")
    await expect(root.locator(".thread")).to_contain_text("marked it resolved")
    await expect(root.locator(".thread")).to_contain_text("Ordered a MacBook Pro 14")
    await ui.shot("requester-told-resolved")
