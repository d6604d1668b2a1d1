"""The playground carries out approved requests: webhooks go to its local sink, the receipt shows the steps live."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from cli.playground.session import Playground
from tests.browser import PlaygroundPage, screenshots, tabs

ERIN, IVAN = "Erin Walsh (employee)", "Ivan Petrov (IT)"
FORM = "Reset a password"


async def test_an_approved_reset_calls_the_sink_and_the_receipt_shows_each_step_done(
        browser: Browser, playground: Playground, request: pytest.FixtureRequest) -> None:
    shots = screenshots(request)
    async with tabs(browser, playground.url) as open_tab:
        erin = PlaygroundPage(await open_tab(), playground, shots)
        await erin.act_as(ERIN)
        await erin.send("/selfserve password-reset")
        await erin.modal(FORM).get_by_label("Which account?").select_option(label="Okta")
        await erin.modal(FORM).get_by_role("button", name="Submit").click()
        receipt = erin.message("REQ-1").first  # the receipt: the DM's first message, updated in place
        await expect(receipt).to_contain_text("Reset a password")

        ivan = PlaygroundPage(await open_tab(), playground, shots)  # another tab: Erin's stays open, as it was
        await ivan.act_as(IVAN)
        ask = ivan.message("Approval needed")
        await ask.get_by_role("button", name="Approve").click()
        await expect(ask.get_by_role("button", name="Approve")).to_have_count(0)

        # Erin's tab was not touched: the steps reach it live (server-sent events)
        await expect(receipt).to_contain_text("Carrying it out")
        await expect(receipt).to_contain_text("Send a one-time reset link — done, HTTP 200")
        await expect(receipt).to_contain_text("Message to the requester — done")
        await expect(erin.message("A one-time link to reset your Okta password")).to_contain_text(
            "u0employee@example.com")
        await erin.shot("steps-done")

    [call] = playground.sink.calls
    assert (call.method, call.target) == ("POST", "https://idp.internal.example/api/v1/reset-links")
    assert call.headers["Authorization"] == "SSWS playground-idp_api_token"  # made up: no real secret is read
    assert call.body == {"user": "u0employee@example.com", "account": "Okta", "ticket": "REQ-1"}
    assert call.headers["Idempotency-Key"].startswith("selfserve-1-")
