"""The playground in a browser, as a person uses it: only what the page shows, only clicks and typing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from slack_sdk.web.async_client import AsyncWebClient

from tests.browser import PlaygroundPage

HANA, HUGO, IVAN = "Hana Reyes (HR)", "Hugo Brandt (HR)", "Ivan Petrov (IT)"
FORM = "Onboard a new employee"


async def fill_new_employee(ui: PlaygroundPage, full_name: str = "Ada <b>Lovelace</b> & Co") -> None:
    await ui.send("/selfserve new-employee")
    form = ui.modal(FORM)
    await expect(form).to_be_visible()
    await expect(form.get_by_label("Laptop")).to_be_checked()  # the catalog's default
    await form.get_by_label("Full name").fill(full_name)
    await form.get_by_label("Work email").fill("ada@example.com")
    await form.get_by_label("Start date").fill("2030-01-07")
    await form.get_by_label("Department").select_option(label="Engineering")
    await form.get_by_label("Their manager").select_option(label="Maya Patel (manager)")
    await form.get_by_label("Monitor").check()
    await form.get_by_label("Notes").fill("Desk by the window, please.")


async def test_new_employee_from_the_slash_command_to_the_final_approval(ui: PlaygroundPage) -> None:
    page = ui.page
    await expect(page.get_by_label("Acting as")).to_have_value("U0HR1")  # someone who may start the first action
    await expect(page.locator(".intro")).to_contain_text("This is the selfserve playground")
    await ui.shot("start")

    await fill_new_employee(ui)
    await ui.shot("form-filled")
    await ui.modal(FORM).get_by_role("button", name="Submit").click()
    await expect(ui.modal(FORM)).to_be_hidden()
    receipt = ui.message("REQ-1")
    await expect(receipt).to_contain_text("Onboard a new employee")
    await expect(receipt).to_contain_text("Ada <b>Lovelace</b> & Co")  # as typed, not as HTML
    await expect(receipt.locator("b", has_text="Lovelace")).to_have_count(0)
    await ui.shot("requester-receipt")

    await ui.act_as(HUGO)
    await ui.tab("Home")  # App Home: what waits on him
    await expect(ui.page.locator("#pane")).to_contain_text("Waiting on your decision")
    waiting = ui.page.locator("#pane .section", has_text="REQ-1")
    await expect(waiting).to_contain_text("Onboard a new employee")
    await ui.shot("hr-approver-home")
    await ui.tab("Messages")
    ask = ui.message("Approval needed")
    await expect(ask).to_contain_text("requested by @Hana Reyes (HR)")  # a mention, shown by name
    await expect(ask.get_by_role("button", name="Approve")).to_be_visible()
    await ui.shot("hr-approver-asked")
    await ask.get_by_role("button", name="Approve").click()
    await expect(ask.get_by_role("button", name="Approve")).to_have_count(0)  # redrawn in place
    await expect(ask).to_contain_text("Hugo Brandt (HR)")
    await ui.shot("hr-approved")

    await ui.act_as(IVAN)
    ask = ui.message("Approval needed")
    await expect(ask).to_contain_text("step 2 of 2")
    await ui.shot("it-approver-asked")
    await ask.get_by_role("button", name="Approve").click()
    await expect(ask.get_by_role("button", name="Approve")).to_have_count(0)
    await ui.shot("it-approved")

    await ui.act_as(HANA)
    await expect(ui.message("Last approval by")).to_contain_text(  # not the feedback question, which says so too
        "✅ Your request REQ-1 (Onboard a new employee) is approved")
    await ui.shot("requester-told-approved")
    question = ui.message("Did this get you what you needed?")  # the feedback question, answered in place
    await question.get_by_role("button", name="👍 Yes").click()
    await expect(ui.modal("Thanks!")).to_contain_text("Anything to add?")
    await ui.modal("Thanks!").get_by_role("button", name="Skip").click()
    await expect(question.get_by_role("button", name="👍 Yes")).to_have_count(0)
    await expect(question).to_contain_text("Thanks for your feedback!")
    await ui.tab("Home")
    await expect(page.locator("#pane")).to_contain_text("You have no open requests.")
    await ui.shot("requester-home")


async def submit_new_employee(ui: PlaygroundPage) -> None:
    await fill_new_employee(ui)
    await ui.modal(FORM).get_by_role("button", name="Submit").click()
    await expect(ui.modal(FORM)).to_be_hidden()
    await expect(ui.message("REQ-1")).to_be_visible()


async def test_the_modal_shows_the_bots_inline_errors_and_slacks_required_fields(ui: PlaygroundPage) -> None:
    await fill_new_employee(ui)
    form = ui.modal(FORM)
    await form.get_by_label("Work email").fill("not an email")
    await form.get_by_label("Start date").fill("")
    await form.get_by_role("button", name="Submit").click()
    start_date = form.locator(".input-block", has=ui.page.get_by_label("Start date"))
    await expect(start_date.get_by_role("alert")).to_have_text("Please complete this required field.")
    await ui.shot("required-field")  # Slack's client refuses, before the bot hears anything

    await form.get_by_label("Start date").fill("2030-01-07")
    await form.get_by_role("button", name="Submit").click()
    email = form.locator(".input-block", has=ui.page.get_by_label("Work email"))
    await expect(email.get_by_role("alert")).to_have_text("Enter a valid email address, like name@example.com.")
    await expect(form.get_by_label("Full name")).to_have_value("Ada <b>Lovelace</b> & Co")  # what was typed stays
    await expect(start_date.get_by_role("alert")).to_have_count(0)
    await ui.shot("inline-error")

    await form.get_by_label("Work email").fill("ada@example.com")
    await form.get_by_role("button", name="Submit").click()
    await expect(form).to_be_hidden()
    await expect(ui.message("REQ-1")).to_contain_text("was submitted")
    await ui.shot("submitted")


async def test_a_rejection_asks_for_a_reason_the_requester_then_reads(ui: PlaygroundPage) -> None:
    await submit_new_employee(ui)
    await ui.act_as(HUGO)
    ask = ui.message("Approval needed")
    await ask.get_by_role("button", name="Reject").click()
    reason = ui.modal("Reject request")
    await expect(reason).to_contain_text("Rejecting REQ-1 · Onboard a new employee")
    await reason.get_by_label("Reason (the requester will see it)").fill("Start date is a <holiday> & *we* are out")
    await ui.shot("reason")
    await reason.get_by_role("button", name="Reject").click()
    await expect(reason).to_be_hidden()
    await expect(ask.get_by_role("button", name="Approve")).to_have_count(0)
    await expect(ask).to_contain_text("Rejected by @Hugo Brandt (HR)")
    await ui.shot("approver-after-reject")

    await ui.act_as(HANA)
    told = ui.message("was rejected")
    await expect(told).to_contain_text(
        "❌ Your request REQ-1 (Onboard a new employee) was rejected by @Hugo Brandt (HR).")
    await expect(told.locator("blockquote")).to_have_text("Start date is a <holiday> & we are out")
    await expect(told.locator("blockquote b")).to_have_text("we")  # mrkdwn in the reason, as Slack shows it
    await ui.shot("requester-reads-reason")

    await ui.act_as(IVAN)  # IT was never asked
    await expect(ui.page.locator(".messages")).to_contain_text("No messages yet.")


async def test_a_catalog_saved_with_a_problem_covers_the_page_until_fixed(ui: PlaygroundPage) -> None:
    path = Path(ui.playground.options.catalog_path)
    good = path.read_text()
    path.write_text(good.replace("requesters: [hr]", "requesters: [hrr]"))
    problems = ui.page.get_by_role("alertdialog", name="catalog.yaml has 1 problem")  # the file's name only
    await expect(problems).to_be_visible()
    line = good.splitlines().index("    requesters: [hr]               # only HR can start an onboarding") + 1
    await expect(problems.get_by_role("listitem")).to_have_text(
        f"{path}:{line}: actions.new-employee.requesters[0]: unknown role 'hrr' (did you mean 'hr'?)")
    await ui.shot("catalog-problem")

    path.write_text(good.replace("title: Onboard a new employee", "title: Welcome a new colleague"))
    await expect(problems).to_be_hidden()
    await expect(ui.page.get_by_role("status")).to_contain_text("Catalog reloaded (actions changed: new-employee)")
    await ui.send("/selfserve new-employee")
    await expect(ui.modal("Welcome a new colleague")).to_be_visible()
    await ui.shot("catalog-fixed")


BLOCK_KIT: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "A header <not html>"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": (
        "*bold* _italic_ ~struck~ `code` <https://example.com/a_b|a link> <@U0HR1> <#C0SUPPORT> "
        "&lt;b&gt;typed&lt;/b&gt; &amp; more\n>quoted :white_check_mark:")},
     "fields": [{"type": "mrkdwn", "text": "*Field*\none"}, {"type": "plain_text", "text": "*plain*"}],
     "accessory": {"type": "button", "action_id": "gallery.risky", "text": {"type": "plain_text", "text": "Risky"},
                   "style": "danger", "confirm": {
                       "title": {"type": "plain_text", "text": "Really?"},
                       "text": {"type": "mrkdwn", "text": "This *cannot* be undone."},
                       "confirm": {"type": "plain_text", "text": "Do it"},
                       "deny": {"type": "plain_text", "text": "Keep it"}}}},
    {"type": "divider"},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "small print"}]},
    {"type": "actions", "elements": [
        {"type": "button", "action_id": "gallery.ok", "style": "primary",
         "text": {"type": "plain_text", "text": "OK"}}]},
    {"type": "video", "title": {"type": "plain_text", "text": "unknown to the page"}},
]


async def test_block_kit_and_mrkdwn_as_slack_shows_them(ui: PlaygroundPage) -> None:
    stub = ui.playground.stub
    client = AsyncWebClient(token=stub.identity.bot_token, base_url=stub.api_url)
    await client.chat_postMessage(channel="C0SUPPORT", text="gallery", blocks=BLOCK_KIT)
    await ui.page.get_by_role("button", name="# support").click()
    message = ui.message("A header")
    await expect(message.get_by_role("heading", name="A header <not html>")).to_be_visible()
    section = message.locator(".section-body").first
    for tag, text in (("b", "bold"), ("i", "italic"), ("s", "struck"), ("code", "code")):
        await expect(section.locator(tag).first).to_have_text(text)
    await expect(section.get_by_role("link", name="a link")).to_have_attribute("href", "https://example.com/a_b")
    await expect(section).to_contain_text("@Hana Reyes (HR) #support <b>typed</b> & more")
    await expect(section.locator("blockquote")).to_have_text("quoted ✅")
    await expect(message.locator(".field").nth(1)).to_have_text("*plain*")
    await expect(message.locator(".unknown")).to_contain_text('"type": "video"')  # shown as JSON, not hidden
    await ui.shot("block-kit")

    clicks: list[str] = []
    ui.page.on("request", lambda sent: clicks.append(sent.post_data or "") if sent.url.endswith("/click") else None)
    await message.get_by_role("button", name="Risky").click()
    confirm = ui.page.get_by_role("alertdialog", name="Really?")
    await expect(confirm).to_contain_text("This cannot be undone.")
    await ui.shot("confirm")
    await confirm.get_by_role("button", name="Keep it").click()
    await expect(confirm).to_be_hidden()
    await message.get_by_role("button", name="Risky").click()
    await confirm.get_by_role("button", name="Do it").click()
    await expect(confirm).to_be_hidden()
    await expect(ui.page.get_by_role("status")).to_be_attached()
    for _ in range(50):  # the request leaves after the dialog closes
        if clicks:
            break
        await ui.page.wait_for_timeout(20)
    assert len(clicks) == 1 and '"action_id":"gallery.risky"' in clicks[0], clicks  # only the confirmed click


@pytest.mark.parametrize("playground", ["tests/catalog_forms.yaml"], indirect=True)
async def test_every_input_the_catalog_uses(ui: PlaygroundPage) -> None:
    await ui.send("/selfserve equipment")
    form = ui.modal("Order equipment")
    await expect(form.get_by_label("Hardware")).to_be_checked()  # radio default
    await expect(form.get_by_label("Model")).to_be_visible()
    await form.get_by_label("Software").check()  # show_if: the bot redraws the modal (views.update)
    await expect(form.get_by_label("Product")).to_be_visible()
    await expect(form.get_by_label("Model")).to_have_count(0)
    await form.get_by_label("Product").fill("Inkscape 1.4")
    await form.get_by_label("Office").fill("Office 12")  # an external select: the bot answers as one types
    await form.get_by_role("option", name="Office 120").click()
    await form.get_by_label("Mouse").check()
    await form.get_by_label("Colours").select_option(["Black", "Silver"])
    await form.get_by_label("Seats").fill("3")
    await form.get_by_label("Needed by").fill("2030-02-01")
    await form.get_by_label("Delivery slot").fill("09:30")
    await form.get_by_label("Hand-over").fill("2030-02-01")
    await form.get_by_label("time").fill("10:00")
    await form.get_by_label("Manager").select_option("U0IT2")
    await form.get_by_label("Keep informed").select_option(["U0IT1", "U0IT2"])
    await form.get_by_label("Team channel").select_option(label="#general")
    await form.get_by_role("checkbox", name="I will return my old device").check()
    await ui.shot("every-input")
    await form.get_by_role("button", name="Submit").click()
    await expect(form).to_be_hidden()
    receipt = ui.message("REQ-1")
    for shown in ("Inkscape 1.4", "Office 120", "Mouse", "Black, Silver", "3", "2030-02-01", "09:30", "#general",
                  "@U0IT2"):
        await expect(receipt).to_contain_text(shown)
    await ui.shot("every-input-receipt")


async def test_the_shortcut_opens_a_picker_and_pushes_the_form_on_top(ui: PlaygroundPage) -> None:
    await ui.page.get_by_role("button", name="Shortcuts").click()
    await ui.page.get_by_role("menuitem", name="Self-service").click()
    picker = ui.modal("Self-service")
    await expect(picker).to_contain_text("What do you need?")
    await picker.locator(".section", has_text="Onboard a new employee").get_by_role("button", name="Start").click()
    form = ui.modal(FORM)  # views.push: the picker is under it
    await expect(form).to_be_visible()
    await expect(picker).to_have_count(0)
    await ui.shot("pushed-form")
    await form.get_by_role("button", name="Cancel").click()  # closes the pushed view only
    await expect(picker).to_be_visible()
    await picker.get_by_role("button", name="Close").click()
    await expect(picker).to_have_count(0)
