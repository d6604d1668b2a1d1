"""Every field type through the modal the bot really opens, as a person fills it in Slack:
defaults shown, a field that appears with an answer, a long list searched as one types, values
prefilled from the command, and the answers as the approver sees them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.harness import Harness

CATALOG = Path(__file__).parent / "catalog_forms.yaml"
FILLED = {"office": "Office 042", "extras": ["Dock", "Mouse"], "needed_by": "2026-12-14", "slot": "09:30",
          "meeting": int(datetime(2026, 12, 14, 9, 30, tzinfo=UTC).timestamp()), "manager": "U0IT2",
          "watchers": ["U0IT1"], "channel": "C0SUPPORT", "agree": ["true"]}


@pytest.fixture
async def forms(engine: AsyncEngine) -> AsyncIterator[Harness]:
    async with Harness(engine, CATALOG) as running:
        for user_id in ("U0REQ", "U0IT1", "U0IT2"):
            running.stub.add_user(user_id, name=user_id.lower(), real_name=f"User {user_id}")
        yield running


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {block["block_id"]: block["element"] for block in view["blocks"] if block["type"] == "input"}


async def current(harness: Harness, view: dict[str, Any]) -> dict[str, Any]:
    """The modal as the person sees it now (after the bot's views.update)."""
    return dict(harness.stub.views[view["id"]])


async def test_the_form_shows_defaults_and_each_type_s_element(forms: Harness) -> None:
    view = await forms.open_form("U0REQ", "equipment")
    elements = inputs(view)
    assert {key: element["type"] for key, element in elements.items()} == {
        "kind": "radio_buttons", "model": "static_select", "office": "external_select", "extras": "checkboxes",
        "colours": "multi_static_select", "seats": "number_input", "needed_by": "datepicker",
        "slot": "timepicker", "meeting": "datetimepicker", "manager": "users_select",
        "watchers": "multi_users_select", "channel": "conversations_select", "agree": "checkboxes"}
    assert elements["kind"]["initial_option"]["value"] == "hw" and elements["seats"]["initial_value"] == "1"
    assert "product" not in elements  # shown only for software


async def test_a_field_appears_when_its_condition_holds_and_only_then_is_required(forms: Harness) -> None:
    view = await forms.open_form("U0REQ", "equipment")
    await forms.slack.fill(view, "U0REQ", {"kind": "sw"})
    await forms.settle()
    redrawn = await current(forms, view)
    assert "product" in inputs(redrawn) and "model" not in inputs(redrawn)
    await forms.slack.suggest(redrawn, "office", "U0REQ", "042")
    response = await forms.slack.submit_view(redrawn, user_id="U0REQ", values=FILLED)
    assert response.json() == {"response_action": "errors", "errors": {"product": "This field is required."}}
    response = await forms.slack.submit_view(redrawn, user_id="U0REQ", values={**FILLED, "product": "Figma"})
    assert response.status == 200 and response.text in ("", "{}")


async def test_a_long_list_is_searched_as_one_types(forms: Harness) -> None:
    view = await forms.open_form("U0REQ", "equipment")
    options = await forms.slack.suggest(view, "office", "U0REQ", "office 04")
    assert [o["value"] for o in options] == [f"Office {n:03d}" for n in range(40, 50)]
    assert len(await forms.slack.suggest(view, "office", "U0REQ", "")) == 100


async def test_the_approver_sees_every_answer_as_people_see_them(forms: Harness) -> None:
    view = await forms.open_form("U0REQ", "equipment")
    await forms.slack.suggest(view, "office", "U0REQ", "042")
    response = await forms.slack.submit_view(view, user_id="U0REQ", values={**FILLED, "model": "ThinkPad X1"})
    assert response.status == 200
    await forms.settle()
    [dm] = [m for m in forms.dms("U0IT1") if "Approval needed" in m.get("text", "")]
    shown = json.dumps(dm["blocks"])
    for text in ("Hardware", "ThinkPad X1", "Office 042", "Dock, Mouse", "<@U0IT2>", "<#C0SUPPORT>",
                 "*I will return my old device*\\nYes", "09:30", "<!date^1797240600^"):
        assert text in shown, text


async def test_values_typed_after_the_command_prefill_the_form(forms: Harness) -> None:
    response = await forms.slack.slash_command(
        user_id="U0REQ", command="/selfserve", text='equipment model="thinkpad x1" seats=30 colour=red')
    assert response.status == 200
    text = response.json()["text"] if response.text not in ("", "{}") else ""
    assert "Seats: Must be at most 20." in text and "'colour' is not a field of this form" in text
    [call] = await forms.stub.wait_for("views.open")
    elements = inputs(call.response["view"])
    assert elements["model"]["initial_option"]["value"] == "ThinkPad X1" and elements["seats"]["initial_value"] == "1"


async def test_values_prefilled_as_slack_sends_them_are_shown_as_typed_and_as_stored(forms: Harness) -> None:
    """Slack escapes the command's text: entities, and mentions as <@U…|name> and <#C…|name>."""
    text = ("equipment kind=Software product=\"R&amp;D &lt;tools&gt;\" manager=<@U0IT2|it2> "
            "watchers=<@U0IT1|it1>,<@U0IT2|it2> channel=<#C0SUPPORT|support> seats=05 agree=yes")
    response = await forms.slack.slash_command(user_id="U0REQ", command="/selfserve", text=text)
    assert response.acted_on() == (True, None), response.text  # nothing refused
    [call] = await forms.stub.wait_for("views.open")
    elements = inputs(call.response["view"])
    assert elements["kind"]["initial_option"]["value"] == "sw"
    assert elements["product"]["initial_value"] == "R&D <tools>"
    assert elements["manager"]["initial_user"] == "U0IT2"
    assert elements["watchers"]["initial_users"] == ["U0IT1", "U0IT2"]
    assert elements["channel"]["initial_conversation"] == "C0SUPPORT"
    assert elements["seats"]["initial_value"] == "5"
    assert [option["value"] for option in elements["agree"]["initial_options"]] == ["true"]


async def test_a_field_that_appeared_unseen_is_drawn_for_filling_in(forms: Harness) -> None:
    """Submitted before the redraw landed: the form is redrawn with the newly required field, not refused."""
    view = await forms.open_form("U0REQ", "equipment")
    await forms.slack.suggest(view, "office", "U0REQ", "042")
    response = await forms.slack.submit_view(view, user_id="U0REQ", values={**FILLED, "kind": "sw"})
    body = response.json()
    assert body["response_action"] == "update"
    assert "product" in inputs(body["view"]) and "model" not in inputs(body["view"])
