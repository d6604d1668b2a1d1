"""``/selfserve <plain words>`` through the Slack stand-in, on the shipped catalog.yaml:
suggestions with working Start buttons, the nothing-matched answer, Get help, escaping."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.harness import Harness

SHIPPED = Path(__file__).resolve().parent.parent / "catalog.yaml"


@pytest.fixture
async def app(engine: AsyncEngine) -> AsyncIterator[Harness]:
    async with Harness(engine, SHIPPED) as running:
        yield running


def starts(message: dict[str, Any]) -> list[str]:
    """The actions whose Start button the message shows, in order."""
    return [b["accessory"]["value"] for b in message["blocks"]
            if b.get("accessory", {}).get("action_id") == "selfserve.open_form"]


def help_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
            if e["action_id"] == "selfserve.get_help"]


def shown(node: Any) -> str:
    """Every text Slack renders in a message (button values are not shown to anyone)."""
    if isinstance(node, dict):
        return " ".join(shown(v) for k, v in node.items() if k != "value")
    if isinstance(node, list):
        return " ".join(shown(v) for v in node)
    return node if isinstance(node, str) else ""


async def ask(app: Harness, user_id: str, text: str) -> dict[str, Any]:
    """``/selfserve text`` and the ephemeral answer the user now sees."""
    response = await app.slack.slash_command(user_id=user_id, command="/selfserve", text=text)
    assert response.status == 200, response.text
    assert response.json()["response_type"] == "ephemeral"
    return app.stub.ephemerals(user_id)[-1]


async def details_of(app: Harness, kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [(e.outcome, json.loads(e.details)) for e in await app.audit_events() if e.kind == kind]


async def test_plain_words_get_matching_actions_whose_start_button_opens_the_form(app: Harness) -> None:
    message = await ask(app, "U0MGR1", "I need a new laptop")
    assert starts(message)[0] == "laptop-order" and len(starts(message)) <= 3
    assert "Order laptops" in json.dumps(message["blocks"])
    [get_help] = help_buttons(message)
    assert get_help["text"]["text"] == "None of these? Get help"
    assert app.stub.calls_to("views.open") == []

    clicked = await app.slack.click(message, "selfserve.open_form", user_id="U0MGR1", value="laptop-order")
    assert clicked.status == 200
    [opened] = await app.stub.wait_for("views.open")
    assert opened.response["ok"]
    assert opened.args["view"]["callback_id"] == "selfserve.request_form"
    assert json.loads(opened.args["view"]["private_metadata"])["action"] == "laptop-order"

    await app.settle()
    [(outcome, details)] = await details_of(app, "command")
    assert outcome == "matched" and details["text"] == "I need a new laptop"
    assert details["suggested"][0]["action"] == "laptop-order" and isinstance(details["suggested"][0]["score"], float)
    assert ("ok", {"action": "laptop-order", "view": opened.response["view"]["id"]}) in await details_of(
        app, "modal_opened")


async def test_typos_and_synonyms_find_the_action(app: Harness) -> None:
    assert starts(await ask(app, "U0EMPLOYEE", "forgot my pasword"))[0] == "password-reset"
    assert starts(await ask(app, "U0EMPLOYEE", "give me read-only access to the CRM"))[0] == "access-request"
    assert starts(await ask(app, "U0HR1", "we have a new hire starting monday"))[0] == "new-employee"
    assert starts(await ask(app, "U0EMPLOYEE", "laptop"))[:1] != ["laptop-order"]  # managers only


async def test_only_what_the_user_may_request_is_suggested(app: Harness) -> None:
    message = await ask(app, "U0EMPLOYEE", "onboard a new employee")
    assert "new-employee" not in json.dumps(message)
    assert "new-employee" not in starts(message)


async def test_gibberish_gets_nothing_matched_the_list_and_get_help(app: Harness) -> None:
    message = await ask(app, "U0EMPLOYEE", "asdfgh qwerty zxcv")
    text = json.dumps(message["blocks"])
    assert starts(message) == []
    assert "couldn't find anything" in text
    assert "What you can request" in text and "`password-reset`" in text and "laptop-order" not in text
    [get_help] = help_buttons(message)
    assert get_help["text"]["text"] == "Get help"
    await app.settle()
    assert await details_of(app, "command") == [
        ("no_match", {"text": "asdfgh qwerty zxcv", "channel": "C0GENERAL", "suggested": []})]


async def test_get_help_passes_the_words_to_support_and_is_audited(app: Harness) -> None:
    message = await ask(app, "U0EMPLOYEE", "book a meeting room")
    clicked = await app.slack.click(message, "selfserve.get_help", user_id="U0EMPLOYEE")
    assert clicked.status == 200
    await app.settle()
    answer = app.stub.ephemerals("U0EMPLOYEE")[-1]
    assert "Support has it now: *ESC-1*" in answer["text"]
    [posted] = app.stub.messages("C0SUPPORT")
    assert "a question" in str(posted["blocks"]) and "book a meeting room" in str(posted["blocks"])
    assert len(app.stub.ephemerals("U0EMPLOYEE")) == 2  # the suggestions stay; the answer comes under them
    assert await details_of(app, "help_requested") == [
        ("ok", {"query": "book a meeting room", "support_channel": "C0SUPPORT"})]


async def test_what_was_typed_is_escaped_in_the_answer(app: Harness) -> None:
    typed = "<!channel> I need a new laptop & <https://evil.example|click> *bold* <@U0HR1>"
    message = await ask(app, "U0MGR1", typed)
    first = message["blocks"][0]["text"]
    assert first["verbatim"] is True
    assert "&lt;!channel&gt;" in first["text"] and "&amp;" in first["text"] and "&lt;@U0HR1&gt;" in first["text"]
    for raw in ["<!channel>", "<https://evil", "<@U0HR1>"]:
        assert raw not in shown(message)
    assert starts(message)[0] == "laptop-order"
    gibberish = await ask(app, "U0MGR1", "<!here> zzqx")
    assert "<!here>" not in shown(gibberish) and "&lt;!here&gt;" in shown(gibberish)


async def test_ids_typos_of_ids_and_subcommands_keep_their_meaning(app: Harness) -> None:
    typo = await app.slack.slash_command(user_id="U0EMPLOYEE", command="/selfserve", text="pasword-reset")
    assert "Did you mean `password-reset`" in typo.json()["text"]
    subcommand = await app.slack.slash_command(user_id="U0EMPLOYEE", command="/selfserve", text="status of my laptop")
    assert "`of` is not a request id" in subcommand.json()["text"]
    help_list = await app.slack.slash_command(user_id="U0EMPLOYEE", command="/selfserve", text="help")
    assert "Here is what you can request" in json.dumps(help_list.json()["blocks"])
    view = await app.open_form("U0EMPLOYEE", "password-reset")
    assert view["callback_id"] == "selfserve.request_form"


async def test_the_answer_is_fast(app: Harness) -> None:
    await ask(app, "U0MGR1", "warm up")  # the model and the catalog's index are ready after this
    for text in ["I need a new laptop", "forgot my password", "asdfgh"]:
        response = await app.slack.slash_command(user_id="U0MGR1", command="/selfserve", text=text)
        assert response.elapsed < 0.5, (text, response.elapsed)
