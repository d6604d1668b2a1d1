"""What must be said after a change commits, as outbox job kinds.

Jobs name *what* to tell *whom*; the bot renders them from the request's state at delivery
time, so a late or retried job never shows a stale picture.
"""

from __future__ import annotations

from typing import Any

from domain.service_levels import Standing

# The requester gets a receipt with the request id and a summary.
REQUESTER_RECEIPT = "dm.requester.receipt"
# One role holder is asked to decide a step (one job each: retried and audited separately).
APPROVER_ASK = "dm.approver.ask"
# Every approver DM of a step is redrawn to show the decision and drop the buttons.
APPROVER_REFRESH = "dm.approver.refresh"
# The requester hears about a decision: step approved, request approved, or rejected.
REQUESTER_UPDATE = "dm.requester.update"

# The requester hears that a step cannot be completed: too few people may approve it.
REQUESTER_STUCK = "dm.requester.stuck"
# The receipt is redrawn: the request's state now (and its Cancel button only while pending).
RECEIPT_REFRESH = "dm.requester.receipt.refresh"

# One approver of a waiting step is reminded, in the thread of their approval DM (``domain.sla_timers``).
APPROVER_REMIND = "dm.approver.remind"

ALL_KINDS = (REQUESTER_RECEIPT, APPROVER_ASK, APPROVER_REFRESH, REQUESTER_UPDATE, REQUESTER_STUCK, RECEIPT_REFRESH)


def approver_ask(step: int, approver_id: str) -> dict[str, Any]:
    return {"step": step, "approver": approver_id}


def approver_remind(step: int, approver_id: str, number: int, due: Standing | None = None) -> dict[str, Any]:
    """``due``: where the step's clock stands as the reminder is sent (its due time and time left,
    counted like the clock that set it), for the reminder to say."""
    payload: dict[str, Any] = {"step": step, "approver": approver_id, "number": number}
    if due is not None:
        payload |= {"due_at": due.due_at.isoformat(), "left_seconds": int(due.left.total_seconds())}
    return payload


def approver_refresh(step: int) -> dict[str, Any]:
    return {"step": step}


def requester_update(step: int, verdict: str, decided_by: str) -> dict[str, Any]:
    return {"step": step, "verdict": verdict, "by": decided_by}


def requester_stuck(step: int, eligible: int) -> dict[str, Any]:
    """``eligible``: how many people may approve the step (the role is the request's own)."""
    return {"step": step, "eligible": eligible}
