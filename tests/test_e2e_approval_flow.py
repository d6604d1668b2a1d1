"""The whole path: form, request, approval DMs, decisions, updates, audit."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import select

from domain.catalog import load_catalog
from storage.models import DecisionRow, RequestRow
from tests.harness import Harness

GOOD = {"full_name": "Ada Lovelace", "email": "ada@example.com", "start_date": "2026-12-01",
        "department": "Engineering", "laptops": "1"}


def buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


async def approval_dm(harness: Harness, user_id: str) -> dict[str, Any]:
    [message] = [m for m in harness.dms(user_id) if "Approval needed" in m.get("text", "")]
    return message


async def statuses(harness: Harness) -> list[tuple[int, str, int]]:
    async with harness.engine.connect() as conn:
        rows = await conn.execute(select(RequestRow.id, RequestRow.status, RequestRow.current_step))
        return [(r.id, r.status, r.current_step) for r in rows]


async def test_request_is_routed_approved_step_by_step_and_everyone_is_told(harness: Harness) -> None:
    response = await harness.submit("U0HR1", "new-employee", GOOD)
    assert response.status == 200 and response.text in ("", "{}")
    await harness.settle()
    assert await statuses(harness) == [(1, "pending", 0)]
    [receipt] = harness.dms("U0HR1")
    assert "REQ-1" in receipt["text"]
    # never asked to self-approve: the receipt carries only Cancel and Get help
    assert harness.dms("U0HR2") and [buttons(m) for m in harness.dms("U0HR1")] == [
        ["selfserve.cancel", "selfserve.escalate"]]

    hr_dm = await approval_dm(harness, "U0HR2")
    assert buttons(hr_dm) == ["selfserve.approve", "selfserve.reject", "selfserve.delegate"]
    assert (await harness.slack.click(hr_dm, "selfserve.approve", user_id="U0HR2")).status == 200
    await harness.settle()
    assert await statuses(harness) == [(1, "pending", 1)]
    hr_dm = await approval_dm(harness, "U0HR2")
    assert buttons(hr_dm) == [] and "Approved by <@U0HR2>" in str(hr_dm["blocks"])
    assert any("Step 1 of 2" in m["text"] for m in harness.dms("U0HR1"))

    it_dm = await approval_dm(harness, "U0IT1")
    await approval_dm(harness, "U0IT2")
    await harness.slack.click(it_dm, "selfserve.approve", user_id="U0IT1")
    await harness.settle()
    assert await statuses(harness) == [(1, "approved", 2)]
    for approver in ("U0IT1", "U0IT2"):
        assert buttons(await approval_dm(harness, approver)) == []
    assert "is approved" in harness.dms("U0HR1", questions=False)[-1]["text"]

    kinds = await harness.kinds()
    for kind in ("request_created", "request_routed", "decision", "request_approved", "message_sent",
                 "messages_updated"):
        assert kind in kinds


async def test_request_without_approvals_is_approved_at_once(harness: Harness) -> None:
    await harness.submit("U0EMPLOYEE", "lunch-order", {"dish": "Ramen"})
    await harness.settle()
    assert await statuses(harness) == [(1, "approved", 0)]
    assert "needs no approval" in str(harness.dms("U0EMPLOYEE")[0]["blocks"])


async def test_invalid_form_shows_inline_errors_and_stores_nothing(harness: Harness) -> None:
    response = await harness.submit("U0HR1", "new-employee", {**GOOD, "email": "not-an-email", "laptops": "9",
                                                               "full_name": "x" * 81})
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"email", "laptops", "full_name"}
    assert await statuses(harness) == []
    await harness.settle()
    assert "form_submitted" in await harness.kinds("invalid")


async def test_rejection_asks_for_a_reason_and_tells_the_requester(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    dm = await approval_dm(harness, "U0HR2")
    await harness.slack.click(dm, "selfserve.reject", user_id="U0HR2")
    modal = (await harness.stub.wait_for("views.open", count=2))[-1].response["view"]
    assert modal["callback_id"] == "selfserve.reject_reason"
    empty = await harness.slack.submit_view(modal, user_id="U0HR2", values={})
    assert empty.json()["response_action"] == "errors"
    done = await harness.slack.submit_view(modal, user_id="U0HR2", values={"reason": "No <!here> budget & no"})
    assert done.status == 200
    await harness.settle()
    assert await statuses(harness) == [(1, "rejected", 0)]
    told = harness.dms("U0HR1", questions=False)[-1]["text"]
    assert "rejected by <@U0HR2>" in told and "No &lt;!here&gt; budget &amp; no" in told
    assert buttons(await approval_dm(harness, "U0HR2")) == []


async def test_two_approvers_at_the_same_moment_produce_one_outcome(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    await harness.slack.click(await approval_dm(harness, "U0HR2"), "selfserve.approve", user_id="U0HR2")
    await harness.settle()
    dm1, dm2 = await approval_dm(harness, "U0IT1"), await approval_dm(harness, "U0IT2")
    results = await asyncio.gather(harness.slack.click(dm1, "selfserve.approve", user_id="U0IT1"),
                                   harness.slack.click(dm2, "selfserve.reject", user_id="U0IT2"),
                                   harness.slack.click(dm1, "selfserve.approve", user_id="U0IT1"))
    assert all(r.status == 200 for r in results)
    await harness.settle()
    async with harness.engine.connect() as conn:
        decisions = (await conn.execute(select(DecisionRow.approver_id).where(DecisionRow.step == 1))).all()
    status = await statuses(harness)
    # The reject only opened a reason modal; of the two approve clicks exactly one counted.
    assert decisions == [("U0IT1",)] and status == [(1, "approved", 2)]
    told = [c.args["text"] for c in harness.stub.calls_to("response_url")]
    assert any("already" in text for text in told)


async def test_min_approvals_needs_distinct_people_and_late_clicks_hear_who_decided(harness: Harness) -> None:
    await harness.submit("U0EMPLOYEE", "access-request", {"system": "Billing", "why": "month end"})
    await harness.settle()
    dms = {u: await approval_dm(harness, u) for u in ("U0SEC1", "U0SEC2", "U0SEC3")}
    await harness.slack.click(dms["U0SEC1"], "selfserve.approve", user_id="U0SEC1")
    await harness.slack.click(dms["U0SEC1"], "selfserve.approve", user_id="U0SEC1")  # double click
    await harness.settle()
    assert await statuses(harness) == [(1, "pending", 0)]
    assert "Waiting for 1 more approval" in str((await approval_dm(harness, "U0SEC3"))["blocks"])
    harness.stub.set_latency("chat.update", 0.5)  # SEC3 clicks before the decision redraws their DM
    await harness.slack.click(dms["U0SEC2"], "selfserve.approve", user_id="U0SEC2")
    await harness.slack.click(dms["U0SEC3"], "selfserve.approve", user_id="U0SEC3")
    await harness.settle()
    assert await statuses(harness) == [(1, "approved", 1)]
    replies = [c.args["text"] for c in harness.stub.calls_to("response_url")]
    assert any("You already approved" in r for r in replies)
    assert any("already approved by <@U0SEC1>, <@U0SEC2>" in r for r in replies)


async def test_self_approval_only_where_the_catalog_allows_it(harness: Harness) -> None:
    await harness.submit("U0SOLO", "self-service", {"what": "a thing"})
    await harness.settle()
    dm = await approval_dm(harness, "U0SOLO")
    await harness.slack.click(dm, "selfserve.approve", user_id="U0SOLO")
    await harness.settle()
    assert await statuses(harness) == [(1, "approved", 1)]


async def test_a_step_nobody_else_may_approve_tells_the_requester(harness: Harness, tmp_path: Path) -> None:
    """The only member of the approving role is the requester, and self-approval is off."""
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(harness.catalog_path.read_text().replace("allow_self_approval: true",
                                                                "allow_self_approval: false"))
    harness.catalog = load_catalog(str(catalog))
    await harness.submit("U0SOLO", "self-service", {"what": "a thing"})
    await harness.settle()
    [notice] = [m for m in harness.dms("U0SOLO") if "is stuck" in m.get("text", "")]
    assert "step 1 needs 1 approval from *solo*, and nobody else in that role" in notice["text"]
    assert not [m for m in harness.dms("U0SOLO") if "Approval needed" in m.get("text", "")]
    assert await statuses(harness) == [(1, "pending", 0)]
    events = await harness.audit_events()
    assert [(e.kind, e.outcome) for e in events if e.kind == "request_routed"] == [
        ("request_routed", "stuck")]
    assert any(e.kind == "message_sent" and '"purpose":"stuck"' in e.details for e in events)


async def test_a_late_rejection_reason_is_refused_with_who_decided(harness: Harness) -> None:
    """The reason modal was opened, then others completed the step: the modal turns into a
    notice whose mentions render (an inline error would show them raw)."""
    await harness.submit("U0EMPLOYEE", "access-request", {"system": "Billing", "why": "month end"})
    await harness.settle()
    dms = {u: await approval_dm(harness, u) for u in ("U0SEC1", "U0SEC2", "U0SEC3")}
    await harness.slack.click(dms["U0SEC1"], "selfserve.reject", user_id="U0SEC1")
    modal = (await harness.stub.wait_for("views.open", count=2))[-1].response["view"]
    await harness.slack.click(dms["U0SEC2"], "selfserve.approve", user_id="U0SEC2")
    await harness.slack.click(dms["U0SEC3"], "selfserve.approve", user_id="U0SEC3")
    await harness.settle()
    late = (await harness.slack.submit_view(modal, user_id="U0SEC1", values={"reason": "too late"})).json()
    assert late["response_action"] == "update"
    [section] = [b for b in late["view"]["blocks"] if b["type"] == "section"]
    assert section["text"]["type"] == "mrkdwn" and "<@U0SEC2>" in section["text"]["text"]
    assert await statuses(harness) == [(1, "approved", 1)]
