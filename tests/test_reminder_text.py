"""What a reminder says about the step's deadline: due when, and how long is left or overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.reminders import reminder_text
from domain.notifications import approver_remind
from domain.records import Answer, RequestRecord, Step
from domain.service import RequestView
from domain.service_levels import STEP, Standing

DUE = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
REQUEST = RequestRecord(1, "laptop", "Order a <laptop>", "U0EMP", "pending", 0, (Step("hr", 1),), False,
                        (Answer("model", "Model", "x", "text", None),), DUE, DUE, None)


def _text(payload: dict[str, object]) -> str:
    return reminder_text(RequestView(REQUEST, [], []), 2, {"step": 0, "approver": "U0HR1", "number": 2, **payload})


def test_a_reminder_says_when_the_decision_is_due_and_what_is_left() -> None:
    left = _text({"due_at": DUE.isoformat(), "left_seconds": 3 * 3600 + 20 * 60})
    assert "(reminder 2)" in left and "Order a &lt;laptop&gt;" in left
    assert f"Decision due <!date^{int(DUE.timestamp())}^" in left and "(3h 20m left)" in left
    late = _text({"due_at": DUE.isoformat(), "left_seconds": -90 * 60})
    assert "Decision overdue by 1h 30m" in late and f"was due <!date^{int(DUE.timestamp())}^" in late


def test_a_reminder_without_a_deadline_says_nothing_of_one() -> None:
    assert "due" not in _text({})


def test_the_payload_carries_the_steps_standing() -> None:
    standing = Standing(STEP, 0, DUE, timedelta(hours=-2), breached=True)
    assert approver_remind(0, "U0HR1", 3, standing) == {"step": 0, "approver": "U0HR1", "number": 3,
                                                        "due_at": DUE.isoformat(), "left_seconds": -7200}
    assert approver_remind(0, "U0HR1", 1) == {"step": 0, "approver": "U0HR1", "number": 1}
