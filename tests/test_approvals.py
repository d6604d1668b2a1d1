"""The approval policy as pure rules: who may decide, and what decisions add up to."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.approvals import authorize_decision, eligible_approvers, progress_after
from domain.errors import AlreadyDecided, NotAuthorized, RequestClosed, StepAlreadyDecided, UnknownRequest
from domain.lifecycle import Status, Verdict
from domain.records import DecisionRecord, RequestRecord, Step

NOW = datetime(2026, 11, 25, tzinfo=UTC)
HR = frozenset({"U0HR1", "U0HR2", "U0REQ"})


def request(steps: tuple[Step, ...] = (Step("hr", 1), Step("it", 2)), status: Status = Status.PENDING,
            current_step: int = 0, self_ok: bool = False) -> RequestRecord:
    return RequestRecord(1, "a", "A", "U0REQ", status, current_step, steps, self_ok, (), NOW, NOW, None)


def decision(approver: str, verdict: Verdict = Verdict.APPROVE, step: int = 0) -> DecisionRecord:
    return DecisionRecord(1, step, approver, verdict, None, NOW)


def test_role_holder_may_decide_current_step() -> None:
    authorize_decision(request(), 0, "U0HR1", HR, [])


def test_outsider_is_refused_before_anything_about_the_request_is_revealed() -> None:
    closed = request(status=Status.APPROVED, current_step=2)
    with pytest.raises(NotAuthorized) as refused:
        authorize_decision(closed, 0, "U0NOBODY", HR, [decision("U0HR1")])
    assert refused.value.reason == "not_an_approver" and refused.value.role == "hr"


def test_requester_cannot_approve_own_request_unless_allowed() -> None:
    with pytest.raises(NotAuthorized) as refused:
        authorize_decision(request(), 0, "U0REQ", HR, [])
    assert refused.value.reason == "self_approval"
    authorize_decision(request(self_ok=True), 0, "U0REQ", HR, [])


def test_late_click_on_closed_request_names_who_decided() -> None:
    closed = request(steps=(Step("hr", 1),), status=Status.REJECTED, current_step=0)
    with pytest.raises(RequestClosed) as refused:
        authorize_decision(closed, 0, "U0HR2", HR, [decision("U0HR1", Verdict.REJECT)])
    assert refused.value.decided_by == ("U0HR1",) and refused.value.status == "rejected"


def test_click_on_an_earlier_step_is_refused_with_its_deciders() -> None:
    moved_on = request(current_step=1)
    with pytest.raises(StepAlreadyDecided) as refused:
        authorize_decision(moved_on, 0, "U0HR2", HR, [decision("U0HR1")])
    assert refused.value.decided_by == ("U0HR1",)


def test_second_decision_by_the_same_approver_is_refused() -> None:
    two = request(steps=(Step("hr", 2),))
    with pytest.raises(AlreadyDecided):
        authorize_decision(two, 0, "U0HR1", HR, [decision("U0HR1")])


@pytest.mark.parametrize("step", [-1, 2, 99])
def test_step_out_of_range_is_an_unknown_request(step: int) -> None:
    with pytest.raises(UnknownRequest):
        authorize_decision(request(), step, "U0HR1", HR, [])


def test_one_approval_completes_a_step_and_routes_the_next() -> None:
    progress = progress_after(request(), [decision("U0HR1")])
    assert (progress.status, progress.current_step, progress.step_completed) == (Status.PENDING, 1, True)


def test_min_approvals_counts_distinct_approvers() -> None:
    at_it = request(current_step=1)
    one = progress_after(at_it, [decision("U0IT1", step=1), decision("U0IT1", step=1)])
    assert (one.status, one.current_step, one.step_completed) == (Status.PENDING, 1, False)
    two = progress_after(at_it, [decision("U0IT1", step=1), decision("U0IT2", step=1)])
    assert (two.status, two.current_step) == (Status.APPROVED, 2)


def test_approvals_of_other_steps_do_not_count() -> None:
    at_it = request(current_step=1)
    progress = progress_after(at_it, [decision("U0HR1", step=0), decision("U0IT1", step=1)])
    assert progress.status == Status.PENDING and not progress.step_completed


def test_one_rejection_rejects_even_after_approvals() -> None:
    two = request(steps=(Step("hr", 2),))
    progress = progress_after(two, [decision("U0HR1"), decision("U0HR2", Verdict.REJECT)])
    assert (progress.status, progress.step_completed) == (Status.REJECTED, True)


def test_eligible_approvers_exclude_the_requester_unless_self_approval() -> None:
    assert eligible_approvers(request(), HR) == ["U0HR1", "U0HR2"]
    assert eligible_approvers(request(self_ok=True), HR) == ["U0HR1", "U0HR2", "U0REQ"]


def test_late_click_on_approved_request_names_the_last_steps_deciders() -> None:
    approved = request(steps=(Step("hr", 1), Step("it", 2)), status=Status.APPROVED, current_step=2)
    decisions = [decision("U0HR1"), decision("U0IT1", step=1), decision("U0IT2", step=1)]
    with pytest.raises(RequestClosed) as refused:
        authorize_decision(approved, 1, "U0HR2", HR | {"U0HR2"}, decisions)
    assert refused.value.decided_by == ("U0IT1", "U0IT2")
