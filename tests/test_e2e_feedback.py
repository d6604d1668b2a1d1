"""Feedback through the Slack stand-in: the question when a request finishes, 👍 / 👎 with an
optional comment, at most once per request, ``/selfserve feedback off``; and abandoned forms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from domain.errors import DomainError
from domain.feedback import FeedbackRefused, Rating
from storage.models import FeedbackRow
from tests.harness import Harness, is_question
from tests.test_e2e_approval_flow import approval_dm, buttons


async def feedback_rows(harness: Harness) -> list[tuple[int, str, str, str | None]]:
    async with harness.engine.connect() as conn:
        rows = await conn.execute(select(FeedbackRow.request_id, FeedbackRow.action_id, FeedbackRow.rating,
                                         FeedbackRow.comment))
        return [(row.request_id, row.action_id, row.rating, row.comment) for row in rows]


def question(harness: Harness, user_id: str) -> dict[str, Any]:
    [asked] = [m for m in harness.dms(user_id) if is_question(m)]
    return asked


async def command(harness: Harness, user_id: str, text: str) -> str:
    response = await harness.slack.slash_command(user_id=user_id, command="/selfserve", text=text)
    return str(response.json()["text"])


async def test_a_finished_request_asks_once_and_takes_a_thumb_and_a_comment(harness: Harness) -> None:
    await harness.submit("U0EMPLOYEE", "lunch-order", {"dish": "Ramen"})  # approved at once: finished
    await harness.settle()
    receipt, asked = harness.dms("U0EMPLOYEE")  # the receipt first, then the question
    assert "REQ-1" in receipt["text"] and "Did this get you what you needed?" in asked["text"]
    assert buttons(asked) == ["selfserve.feedback_up", "selfserve.feedback_down"]
    opened = len(harness.stub.calls_to("views.open"))
    assert (await harness.slack.click(asked, "selfserve.feedback_down", user_id="U0EMPLOYEE")).status == 200
    await harness.settle()
    assert await feedback_rows(harness) == [(1, "lunch-order", "down", None)]
    answered = harness.dms("U0EMPLOYEE")[-1]
    assert buttons(answered) == [] and "👎" in json.dumps(answered["blocks"], ensure_ascii=False)
    modal = (await harness.stub.wait_for("views.open", count=opened + 1))[-1].response["view"]
    assert modal["callback_id"] == "selfserve.feedback_comment"
    sent = await harness.slack.submit_view(modal, user_id="U0EMPLOYEE", values={"comment": "  Too <b>cold</b>  "})
    assert sent.status == 200 and sent.text in ("", "{}")
    assert await feedback_rows(harness) == [(1, "lunch-order", "down", "Too <b>cold</b>")]
    # at most once: a second answer (another device, an old copy of the message) is refused, audited
    with pytest.raises(FeedbackRefused) as refused:
        await harness.runtime.deps.feedback.rate("U0EMPLOYEE", "REQ-1", Rating.UP)
    assert refused.value.reason == "already_answered"
    events = [(e.kind, e.outcome, e.actor, e.request_ref, json.loads(e.details)) for e in await harness.audit_events()
              if e.kind.startswith("feedback")]
    assert events[:2] == [
        ("feedback_given", "ok", "U0EMPLOYEE", "REQ-1", {"action": "lunch-order", "rating": "down"}),
        ("feedback_comment", "ok", "U0EMPLOYEE", "REQ-1", {"action": "lunch-order", "comment": "Too <b>cold</b>"})]
    assert events[2][:4] == ("feedback_given", "refused", "U0EMPLOYEE", "REQ-1")
    assert await feedback_rows(harness) == [(1, "lunch-order", "down", "Too <b>cold</b>")]


async def test_only_the_requester_answers_and_a_rejection_is_asked_about_too(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", {"full_name": "Ada Lovelace", "email": "ada@example.com",
                                                   "start_date": "2026-12-01", "department": "Engineering",
                                                   "laptops": "1"})
    await harness.settle()
    assert not [m for m in harness.dms("U0HR1") if is_question(m)]  # pending: nothing to ask yet
    await harness.slack.click(await approval_dm(harness, "U0HR2"), "selfserve.reject", user_id="U0HR2")
    modal = (await harness.stub.wait_for("views.open", count=2))[-1].response["view"]
    await harness.slack.submit_view(modal, user_id="U0HR2", values={"reason": "no budget"})
    await harness.settle()
    asked = question(harness, "U0HR1")
    assert "is rejected" in asked["text"]
    with pytest.raises(DomainError):  # someone else's request: refused as if it did not exist
        await harness.runtime.deps.feedback.rate("U0HR2", "REQ-1", Rating.UP)
    await harness.slack.click(asked, "selfserve.feedback_up", user_id="U0HR1")
    await harness.settle()
    assert await feedback_rows(harness) == [(1, "new-employee", "up", None)]


async def test_feedback_off_stops_the_question_until_it_is_on_again(harness: Harness) -> None:
    assert "won't be asked" in await command(harness, "U0EMPLOYEE", "feedback off")
    await harness.submit("U0EMPLOYEE", "lunch-order", {"dish": "Ramen"})
    await harness.settle()
    assert [m for m in harness.dms("U0EMPLOYEE") if is_question(m)] == []
    assert "feedback_not_asked" in await harness.kinds()
    assert "will be asked" in await command(harness, "U0EMPLOYEE", "feedback on")
    assert "feedback off" in await command(harness, "U0EMPLOYEE", "feedback")  # usage
    await harness.submit("U0EMPLOYEE", "lunch-order", {"dish": "Pho"})
    await harness.settle()
    assert "REQ-2" in question(harness, "U0EMPLOYEE")["text"]
    turned = [json.loads(e.details) for e in await harness.audit_events() if e.kind == "feedback_questions"]
    assert turned == [{"on": False}, {"on": True}]


async def test_a_form_closed_unsent_is_recorded_as_abandoned(harness: Harness) -> None:
    view = await harness.open_form("U0EMPLOYEE", "lunch-order")
    assert view["notify_on_close"] is True
    closed = await harness.slack.close_view(view, user_id="U0EMPLOYEE")
    assert closed is not None and closed.status == 200
    await harness.settle()
    [event] = [e for e in await harness.audit_events() if e.kind == "modal_closed"]
    assert (event.actor, json.loads(event.details)) == ("U0EMPLOYEE", {"action": "lunch-order", "view": view["id"]})


async def test_asked_when_cancelled_after_an_escalation_or_when_it_is_resolved_once(harness: Harness) -> None:
    from tests.test_e2e_escalations import get_help, support_post

    await get_help(harness)  # REQ-1, escalated as ESC-1
    await command(harness, "U0HR1", "cancel REQ-1")
    await harness.settle()
    assert "REQ-1 is cancelled" in question(harness, "U0HR1")["text"]
    await harness.slack.click(support_post(harness), "selfserve.escalation.resolve", user_id="U0SUP1")
    form = (await harness.stub.wait_for("views.open"))[-1].response["view"]
    await harness.slack.submit_view(form, user_id="U0SUP1", values={"note": "Done by hand"})
    await harness.settle()
    assert len([m for m in harness.dms("U0HR1") if is_question(m)]) == 1  # once per request
    await harness.submit("U0HR1", "new-employee", {"full_name": "Bo", "email": "bo@example.com",
                                                   "start_date": "2026-12-01", "department": "Sales", "laptops": "1"})
    await harness.settle()
    await command(harness, "U0HR1", "cancel REQ-2")  # never escalated: a withdrawal, nothing to ask
    await harness.settle()
    assert [m["text"][:5] for m in harness.dms("U0HR1") if is_question(m)] == ["REQ-1"]


async def test_asked_when_an_escalation_of_a_pending_request_is_resolved(harness: Harness) -> None:
    from tests.test_e2e_escalations import get_help, support_post

    await get_help(harness)
    await harness.slack.click(support_post(harness), "selfserve.escalation.resolve", user_id="U0SUP1")
    form = (await harness.stub.wait_for("views.open"))[-1].response["view"]
    await harness.slack.submit_view(form, user_id="U0SUP1", values={"note": "Explained the steps"})
    await harness.settle()
    asked = question(harness, "U0HR1")
    assert asked["text"].startswith("REQ-1: help resolved.") and "Support resolved" in json.dumps(asked["blocks"])
    await harness.slack.click(asked, "selfserve.feedback_up", user_id="U0HR1")
    await harness.settle()
    assert await feedback_rows(harness) == [(1, "new-employee", "up", None)]
