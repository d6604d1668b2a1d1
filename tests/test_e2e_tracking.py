"""Following one's requests through the Slack stand-in: ``/selfserve status``, ``mine``,
``pending`` and ``cancel``, the receipt's Cancel button, and every message about a request kept
in step with it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from storage.models import RequestRow
from tests.harness import Harness
from tests.test_e2e_approval_flow import GOOD, approval_dm, buttons

ACCESS = {"system": "Billing", "why": "month end"}


async def command(harness: Harness, user_id: str, text: str) -> dict[str, Any]:
    """``/selfserve <text>``: the ephemeral answer, as a message the user can click in."""
    response = await harness.slack.slash_command(user_id=user_id, command="/selfserve", text=text)
    assert response.status == 200, response.text
    body = response.json()
    assert body["response_type"] == "ephemeral"
    return {**body, "channel": "C0GENERAL", "ts": "0"}


def shown(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False)


def actions(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(action_id, value) of every button, accessories included."""
    found = [e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]
    found += [b["accessory"] for b in message.get("blocks", []) if isinstance(b.get("accessory"), dict)]
    return [(e["action_id"], e.get("value", "")) for e in found]


async def told(harness: Harness, user_id: str) -> str:
    """The last ephemeral the user was shown (a click's answer, sent after the ack)."""
    await harness.runtime.deps.tasks.drain()
    return str(harness.stub.ephemerals(user_id)[-1]["text"])


async def status_of(harness: Harness, ref: str) -> str:
    async with harness.engine.connect() as conn:
        return str((await conn.execute(select(RequestRow.status).where(RequestRow.id == int(ref[4:])))).scalar())


async def test_status_shows_each_step_who_decided_and_who_is_waited_on(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    await harness.slack.click(await approval_dm(harness, "U0HR2"), "selfserve.approve", user_id="U0HR2")
    await harness.settle()

    mine = await command(harness, "U0HR1", "status REQ-1")
    text = shown(mine)
    assert "*REQ-1* · Onboard a new employee · requested by <@U0HR1>" in text
    assert "approved by <@U0HR2> <!date^" in text  # who decided, and when (in each reader's zone)
    assert "waiting for 1 approval from <@U0IT1>, <@U0IT2>" in text
    assert "Ada Lovelace" in text  # the answers
    assert actions(mine) == [("selfserve.cancel", "REQ-1")]  # the requester may cancel it

    approver = await command(harness, "U0IT2", "status req-1")  # ids in any case
    assert actions(approver) == [("selfserve.approve", "REQ-1:1"), ("selfserve.reject", "REQ-1:1")]
    assert (await harness.slack.click(approver, "selfserve.approve", user_id="U0IT2")).status == 200
    await harness.settle()
    assert await status_of(harness, "REQ-1") == "approved"
    done = await command(harness, "U0HR2", "status REQ-1")  # a past approver still sees it
    assert ":white_check_mark: *Approved*" in shown(done) and actions(done) == []


async def test_a_request_one_may_not_see_is_answered_as_if_it_did_not_exist(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    hidden = await command(harness, "U0EMPLOYEE", "status REQ-1")
    missing = await command(harness, "U0EMPLOYEE", "status REQ-2")
    assert hidden["text"].replace("REQ-1", "REQ-n") == missing["text"].replace("REQ-2", "REQ-n")
    assert "Onboard" not in shown(hidden) + hidden["text"]
    words = await command(harness, "U0EMPLOYEE", "status my laptop")
    assert "`my` is not a request id" in words["text"]
    await harness.settle()
    refused = [e for e in await harness.audit_events() if e.outcome == "refused"]
    assert [(e.kind, e.actor, e.request_ref) for e in refused] == [
        ("command", "U0EMPLOYEE", "REQ-1"), ("command", "U0EMPLOYEE", "REQ-2"), ("command", "U0EMPLOYEE", None)]
    assert ['"reason":"not_a_viewer"' in e.details for e in refused] == [True, False, False]


async def test_status_without_an_id_and_mine_list_ones_requests_newest_first(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.submit("U0HR1", "lunch-order", {"dish": "<b>Ramen</b>"})  # approved at once
    await harness.submit("U0HR1", "access-request", ACCESS)
    await harness.settle()
    open_ones = await command(harness, "U0HR1", "status")
    assert actions(open_ones) == [("selfserve.cancel", "REQ-3"), ("selfserve.cancel", "REQ-1")]
    mine = await command(harness, "U0HR1", "mine")
    text = shown(mine)
    assert [text.index(ref) for ref in ("*REQ-3*", "*REQ-2*", "*REQ-1*")] == sorted(
        text.index(ref) for ref in ("*REQ-3*", "*REQ-2*", "*REQ-1*"))
    assert ":white_check_mark: approved" in text and "waiting at step 1 of 2 (hr)" in text
    nothing = await command(harness, "U0EMPLOYEE", "mine")
    assert "haven't made any requests" in nothing["text"]


async def test_pending_lists_what_waits_on_the_user_with_buttons_that_work(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.submit("U0EMPLOYEE", "access-request", ACCESS)
    await harness.settle()
    assert actions(await command(harness, "U0HR1", "pending")) == []  # never their own request
    hr = await command(harness, "U0HR2", "pending")
    assert actions(hr) == [("selfserve.approve", "REQ-1:0"), ("selfserve.reject", "REQ-1:0")]
    security = await command(harness, "U0SEC1", "pending")
    assert actions(security) == [("selfserve.approve", "REQ-2:0"), ("selfserve.reject", "REQ-2:0")]
    assert "Billing" in shown(security) and "from <@U0EMPLOYEE>" in shown(security)

    await harness.slack.click(security, "selfserve.approve", user_id="U0SEC1")
    await harness.settle()
    assert "Nothing is waiting on your decision" in (await command(harness, "U0SEC1", "pending"))["text"]
    still = await command(harness, "U0SEC2", "pending")  # the step needs a second approval
    assert actions(still) == [("selfserve.approve", "REQ-2:0"), ("selfserve.reject", "REQ-2:0")]
    # the DMs about the request say so too, though the decision came from the list
    assert "Approved by <@U0SEC1>" in shown(await approval_dm(harness, "U0SEC2"))


async def test_cancel_on_the_receipt_updates_every_dm_and_stale_buttons_answer_with_the_state(
        harness: Harness) -> None:
    await harness.submit("U0EMPLOYEE", "access-request", ACCESS)
    await harness.settle()
    await harness.slack.click(await approval_dm(harness, "U0SEC1"), "selfserve.approve", user_id="U0SEC1")
    await harness.settle()
    stale = await command(harness, "U0SEC2", "pending")  # an ephemeral: Slack never updates those
    [receipt] = harness.dms("U0EMPLOYEE")
    assert buttons(receipt) == ["selfserve.cancel", "selfserve.escalate"] and "REQ-1" in receipt["text"]
    assert receipt["blocks"][-1]["elements"][0]["confirm"]["confirm"]["text"] == "Cancel it"

    assert (await harness.slack.click(receipt, "selfserve.cancel", user_id="U0EMPLOYEE")).status == 200
    assert await status_of(harness, "REQ-1") == "cancelled"
    assert "*REQ-1* (Request access to a system) is cancelled" in await told(harness, "U0EMPLOYEE")
    await harness.settle()
    for approver in ("U0SEC1", "U0SEC2", "U0SEC3"):
        dm = await approval_dm(harness, approver)
        assert buttons(dm) == [] and "Cancelled by <@U0EMPLOYEE>" in shown(dm) and "REQ-1" in dm["text"]
    [receipt] = harness.dms("U0EMPLOYEE")
    assert buttons(receipt) == ["selfserve.escalate"] and "Cancelled by <@U0EMPLOYEE>" in shown(receipt)

    await harness.slack.click(stale, "selfserve.approve", user_id="U0SEC2")
    assert await told(harness, "U0SEC2") == "*REQ-1* is already cancelled by <@U0EMPLOYEE>. Nothing changed."
    await harness.slack.click(stale, "selfserve.reject", user_id="U0SEC2")
    assert "already cancelled" in await told(harness, "U0SEC2") and len(harness.stub.calls_to("views.open")) == 1
    assert await status_of(harness, "REQ-1") == "cancelled"
    await harness.settle()
    events = [(e.kind, e.outcome, e.actor) for e in await harness.audit_events()]
    assert ("request_cancelled", "ok", "U0EMPLOYEE") in events
    assert events.count(("decision", "refused", "U0SEC2")) == 2


async def test_cancel_command_only_for_the_requester_and_only_while_pending(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.submit("U0HR1", "lunch-order", {"dish": "soup"})
    await harness.settle()
    which = await command(harness, "U0HR1", "cancel")
    assert "Which one?" in which["text"] and actions(which) == [("selfserve.cancel", "REQ-1")]
    other = await command(harness, "U0HR2", "cancel REQ-1")
    unknown = await command(harness, "U0HR2", "cancel REQ-7")
    assert "only cancel your own requests" in other["text"]
    assert other["text"].replace("REQ-1", "REQ-n") == unknown["text"].replace("REQ-7", "REQ-n")
    approved = await command(harness, "U0HR1", "cancel REQ-2")
    assert approved["text"] == "*REQ-2* is already approved. Nothing changed."
    assert "is cancelled" in (await command(harness, "U0HR1", "cancel REQ-1"))["text"]
    again = await command(harness, "U0HR1", "cancel REQ-1")
    assert again["text"] == "*REQ-1* is already cancelled by <@U0HR1>. Nothing changed."
    await harness.settle()
    # the approver asked for step 1 sees it cancelled; step 2 was never reached, so nobody else was asked
    assert buttons(await approval_dm(harness, "U0HR2")) == [] and not harness.dms("U0IT1")
    refused = [(e.kind, e.actor) for e in await harness.audit_events() if e.outcome == "refused"]
    assert refused == [("cancel", "U0HR2"), ("cancel", "U0HR2"), ("cancel", "U0HR1"), ("cancel", "U0HR1")]


async def test_every_message_about_a_request_names_it_and_shows_how_it_ended(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    await harness.slack.click(await approval_dm(harness, "U0HR2"), "selfserve.approve", user_id="U0HR2")
    await harness.settle()
    [receipt] = [m for m in harness.dms("U0HR1") if "submitted" in m["text"]]
    assert "Waiting for approval from *it* (step 2 of 2)" in shown(receipt)  # redrawn as the step completed
    await harness.slack.click(await approval_dm(harness, "U0IT1"), "selfserve.reject", user_id="U0IT1")
    modal = (await harness.stub.wait_for("views.open", count=2))[-1].response["view"]
    await harness.slack.submit_view(modal, user_id="U0IT1", values={"reason": "no budget"})
    await harness.settle()
    everyone = [m for user_id in ("U0HR1", "U0HR2", "U0IT1", "U0IT2") for m in harness.dms(user_id)]
    assert everyone and all("REQ-1" in m["text"] for m in everyone)
    # nothing left to act on but Get help and the feedback question
    assert [b for m in everyone for b in buttons(m) if b != "selfserve.escalate"] == [
        "selfserve.feedback_up", "selfserve.feedback_down"]
    assert "The request was then rejected." in shown(await approval_dm(harness, "U0HR2"))
    [receipt] = [m for m in harness.dms("U0HR1") if "submitted" in m["text"]]
    assert ":x: Rejected." in shown(receipt)


async def test_a_step_handed_over_is_pending_for_its_delegate_with_buttons_that_work(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    await harness.slack.click(await approval_dm(harness, "U0HR2"), "selfserve.delegate", user_id="U0HR2")
    form = dict((await harness.stub.wait_for("views.open", count=2))[-1].response["view"])
    await harness.slack.submit_view(form, user_id="U0HR2", values={"to": "U0EMPLOYEE"})
    await harness.settle()
    assert "Nothing is waiting" in (await command(harness, "U0HR2", "pending"))["text"]  # handed on
    delegate = await command(harness, "U0EMPLOYEE", "pending")
    assert actions(delegate) == [("selfserve.approve", "REQ-1:0"), ("selfserve.reject", "REQ-1:0")]
    status = await command(harness, "U0EMPLOYEE", "status REQ-1")  # a delegate may see the request
    assert "<@U0HR2> handed it to <@U0EMPLOYEE>" in shown(status)
    assert "waiting for 1 approval from <@U0EMPLOYEE>" in shown(status)
    await harness.slack.click(delegate, "selfserve.approve", user_id="U0EMPLOYEE")
    await harness.settle()
    assert "waiting at step 2 of 2 (it)" in shown(await command(harness, "U0HR1", "status REQ-1"))
