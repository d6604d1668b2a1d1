"""Hostile and broken input: forged, stale, garbled, replayed, unauthorised, and escaped text."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

from sqlalchemy import func, select

from domain.catalog import parse_catalog
from storage.models import RequestRow
from tests.harness import Harness
from tests.test_e2e_approval_flow import GOOD, approval_dm, buttons, statuses


async def count_requests(harness: Harness) -> int:
    async with harness.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(RequestRow))).scalar_one()


async def test_bad_signature_and_stale_timestamp_get_401(harness: Harness) -> None:
    body = "command=%2Fselfserve&text=help&user_id=U0HR1&trigger_id=x"
    forged = await harness.slack.send_raw(body, headers={"X-Slack-Signature": "v0=" + "0" * 64}, sign=False,
                                          timestamp=str(int(time.time())))
    stale = await harness.slack.send_raw(body, timestamp=str(int(time.time()) - 301))
    unsigned = await harness.slack.send_raw(body, sign=False)
    assert (forged.status, stale.status, unsigned.status) == (401, 401, 401)


async def test_garbled_headers_get_401_not_500(harness: Harness) -> None:
    body = "command=%2Fselfserve&text=help"
    for timestamp in ("abc", "", "１２３", "9" * 40, "-5"):
        response = await harness.slack.send_raw(body, timestamp=timestamp, sign=False,
                                                headers={"X-Slack-Signature": "v0=ß"})
        assert response.status == 401, timestamp


async def test_malformed_but_signed_bodies_get_4xx(harness: Harness) -> None:
    bodies: list[str | bytes] = [
        "payload=%7Bnot-json",
        "payload=" + quote("[1, 2]"),
        "payload=" + quote('"just a string"'),
        "{broken json",
        "payload=" + quote(json.dumps({"type": "block_actions", "user": {"id": "U0HR1"}})),
        "payload=" + quote(json.dumps({"type": "view_submission", "user": {"id": "U0HR1"},
                                       "view": {"id": "V1", "callback_id": "selfserve.request_form",
                                                "private_metadata": "{oops"}})),
        "payload=" + quote(json.dumps({"type": "block_actions", "user": {"id": "U0HR1"}, "trigger_id": "t",
                                       "actions": [{"action_id": "selfserve.approve"}]})),
        b"payload=\xff\xfe\xfd",
    ]
    for body in bodies:
        response = await harness.slack.send_raw(body)
        assert 400 <= response.status < 500, (body, response.status)
    assert await count_requests(harness) == 0


async def test_unauthorised_click_is_refused_audited_and_changes_nothing(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    dm = await approval_dm(harness, "U0HR2")
    for intruder in ("U0OUTSIDER", "U0HR1", "U0IT1"):  # outsider, the requester, the next step's role
        response = await harness.slack.click(dm, "selfserve.approve", user_id=intruder)
        assert response.status == 200
    await harness.settle()
    assert await statuses(harness) == [(1, "pending", 0)]
    replies = [c.args["text"] for c in harness.stub.calls_to("response_url")]
    assert len(replies) == 3 and all("only members" in r or "own request" in r for r in replies)
    refused = [e for e in await harness.audit_events() if e.kind == "decision" and e.outcome == "refused"]
    assert [e.actor for e in refused] == ["U0OUTSIDER", "U0HR1", "U0IT1"]


async def test_click_on_unknown_request_is_answered_and_audited(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    dm = await approval_dm(harness, "U0HR2")
    for value in ("REQ-999:0", "garbage", "REQ-1:7"):
        response = await harness.slack.click(dm, "selfserve.approve", user_id="U0HR2", value=value)
        assert response.status == 200
    await harness.slack.click(dm, "selfserve.approve", user_id="U0HR2")
    await harness.settle()
    assert await statuses(harness) == [(1, "pending", 1)]  # only the genuine click (value None) counted
    refused = [e for e in await harness.audit_events() if e.kind == "decision" and e.outcome == "refused"]
    assert len(refused) == 3 and all('"unknown_request"' in e.details for e in refused)


async def test_replayed_submission_creates_one_request(harness: Harness) -> None:
    view = await harness.open_form("U0HR1", "new-employee")
    first = await harness.slack.submit_view(view, user_id="U0HR1", values=GOOD)
    second = await harness.slack.submit_view(view, user_id="U0HR1", values=GOOD)
    assert (first.status, second.status) == (200, 200)
    await harness.settle()
    assert await count_requests(harness) == 1
    assert len(harness.dms("U0HR2")) == 1


async def test_user_text_cannot_ping_or_forge_links(harness: Harness) -> None:
    hostile = {**GOOD, "full_name": "<!channel> <https://evil.example|Payroll> & <@U0IT1>",
               "notes": "*bold* `code`\n<!everyone>"}
    await harness.submit("U0HR1", "new-employee", hostile)
    await harness.settle()
    posts = harness.stub.calls_to("chat.postMessage")
    assert posts
    for call in posts:
        dumped = json.dumps(call.args)
        assert "<!channel>" not in dumped and "<!everyone>" not in dumped and "<https://evil" not in dumped
        assert "link_names" not in call.args and "parse" not in call.args
        for block in call.args["blocks"]:
            for text in [block.get("text"), *block.get("fields", [])]:
                if isinstance(text, dict) and text.get("type") == "mrkdwn":
                    assert text.get("verbatim") is True
    dm = await approval_dm(harness, "U0HR2")
    assert "&lt;!channel&gt; &lt;https://evil.example|Payroll&gt; &amp; &lt;@U0IT1&gt;" in json.dumps(dm["blocks"])
    assert buttons(dm)


async def test_outbox_survives_a_restart(harness: Harness) -> None:
    """Slack is rate limiting when the request is made; the process restarts; nothing is lost."""
    harness.stub.fail_next("chat.postMessage", error="ratelimited", status=429, retry_after=1, times=50)
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.stub.wait_for("chat.postMessage")
    await harness.restart()
    harness.stub.clear_faults()
    await harness.stub.wait_for("chat.postMessage", predicate=lambda c: c.response.get("ok") is True, count=2,
                                timeout=10)
    await harness.settle()
    assert len(harness.dms("U0HR1")) == 1 and len(harness.dms("U0HR2")) == 1


async def test_submission_after_losing_the_role_is_refused_and_stores_nothing(harness: Harness) -> None:
    """Role membership is checked again at submission: it may have changed since the form opened."""
    view = await harness.open_form("U0HR1", "new-employee")
    edited = harness.catalog_path.read_text().replace("hr: {members: [U0HR1, U0HR2]}", "hr: {members: [U0HR2]}")
    harness.catalog = parse_catalog(edited)
    response = await harness.slack.submit_view(view, user_id="U0HR1", values=GOOD)
    body = response.json()
    assert body["response_action"] == "update" and "not allowed" in json.dumps(body["view"])
    assert await count_requests(harness) == 0
    await harness.settle()
    assert "form_submitted" in await harness.kinds("refused")


async def test_approver_removed_from_the_role_can_no_longer_decide(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    dm = await approval_dm(harness, "U0HR2")
    edited = harness.catalog_path.read_text().replace("hr: {members: [U0HR1, U0HR2]}", "hr: {members: [U0HR1]}")
    harness.catalog = parse_catalog(edited)
    await harness.slack.click(dm, "selfserve.approve", user_id="U0HR2")
    await harness.settle()
    assert await statuses(harness) == [(1, "pending", 0)]
    assert "only members of the *hr* role" in harness.stub.calls_to("response_url")[-1].args["text"]
