"""``/selfserve`` over signed HTTP: help, opening forms, unknown and forbidden actions."""

from __future__ import annotations

from tests.harness import Harness


async def test_help_lists_only_what_the_user_may_request(harness: Harness) -> None:
    response = await harness.slack.slash_command(user_id="U0EMPLOYEE", command="/selfserve", text="")
    assert response.status == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    buttons = [b["accessory"]["value"] for b in body["blocks"] if b.get("accessory")]
    assert buttons == ["access-request", "lunch-order", "self-service"]

    hr = (await harness.slack.slash_command(user_id="U0HR1", command="/selfserve", text="help")).json()
    assert "new-employee" in [b["accessory"]["value"] for b in hr["blocks"] if b.get("accessory")]
    await harness.settle()
    assert (await harness.kinds()).count("command") == 2


async def test_help_button_opens_the_form(harness: Harness) -> None:
    response = await harness.slack.slash_command(user_id="U0HR1", command="/selfserve", text="help")
    message = {**response.json(), "channel": "C0GENERAL", "ts": "1700000000.000001"}
    clicked = await harness.slack.click(message, "selfserve.open_form", user_id="U0HR1", value="new-employee")
    assert clicked.status == 200
    [opened] = await harness.stub.wait_for("views.open")
    assert opened.response["ok"] and opened.args["view"]["callback_id"] == "selfserve.request_form"


async def test_command_opens_the_actions_modal(harness: Harness) -> None:
    view = await harness.open_form("U0HR1", "new-employee")
    assert view["title"]["text"] == "Onboard a new employee"[:24]
    block_ids = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert block_ids == ["full_name", "email", "start_date", "department", "laptops", "notes"]
    elements = {b["block_id"]: b["element"]["type"] for b in view["blocks"] if b["type"] == "input"}
    assert elements == {"full_name": "plain_text_input", "email": "email_text_input", "start_date": "datepicker",
                        "department": "static_select", "laptops": "number_input", "notes": "plain_text_input"}
    notes = next(b for b in view["blocks"] if b.get("block_id") == "notes")
    assert notes["optional"] is True and notes["element"]["multiline"] is True
    await harness.settle()
    assert "modal_opened" in await harness.kinds("ok")


async def test_unknown_action_suggests_the_closest_names(harness: Harness) -> None:
    response = await harness.slack.slash_command(user_id="U0HR1", command="/selfserve", text="new-employe")
    assert "`new-employee`" in response.json()["text"]
    assert harness.stub.calls_to("views.open") == []
    await harness.settle()
    assert "command" in await harness.kinds("refused")


async def test_suggestions_never_reveal_actions_the_user_may_not_request(harness: Harness) -> None:
    response = await harness.slack.slash_command(user_id="U0EMPLOYEE", command="/selfserve", text="new-employe")
    assert "new-employee" not in response.json()["text"]


async def test_outsider_is_refused_politely_and_audited(harness: Harness) -> None:
    response = await harness.slack.slash_command(user_id="U0EMPLOYEE", command="/selfserve", text="new-employee")
    assert response.status == 200
    assert "not allowed" in response.json()["text"]
    assert harness.stub.calls_to("views.open") == []
    await harness.settle()
    [refusal] = [e for e in await harness.audit_events() if e.outcome == "refused"]
    assert refusal.actor == "U0EMPLOYEE" and '"refused":"not_authorized"' in refusal.details
    assert '"reason":"not_a_requester"' in refusal.details


async def test_reserved_subcommands_answer_without_opening_anything(harness: Harness) -> None:
    response = await harness.slack.slash_command(user_id="U0HR1", command="/selfserve", text="audit REQ-1")
    assert "not available" in response.json()["text"]
    assert harness.stub.calls_to("views.open") == []


async def test_health_reports_the_database(harness: Harness) -> None:
    async with harness.slack.session.get(harness.base_url + "/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok", "database": "ok",
                                         "jobs": {"due": 0, "scheduled": 0, "oldest_due_seconds": 0.0}}
