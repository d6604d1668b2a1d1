"""The approval policy: who may decide a step, and what a set of decisions adds up to.

Pure functions over records, so every rule is tested without a database or Slack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import AlreadyDecided, NotAuthorized, RequestClosed, StepAlreadyDecided, UnknownRequest
from domain.lifecycle import Status, Verdict
from domain.records import DecisionRecord, RequestRecord


@dataclass(frozen=True)
class Progress:
    """Where a request stands after a decision."""

    status: Status
    current_step: int
    step_completed: bool


def deciders(decisions: Sequence[DecisionRecord], step: int) -> tuple[str, ...]:
    """Who decided ``step`` (approved or rejected it), in the order they did."""
    return tuple(d.approver_id for d in decisions if d.step == step and d.verdict != Verdict.DELEGATE)


def delegates(decisions: Sequence[DecisionRecord], step: int) -> frozenset[str]:
    """Who ``step`` was handed to (by a Delegate click or an absence); they may decide it."""
    return frozenset(str(d.reason) for d in decisions if d.step == step and d.verdict == Verdict.DELEGATE)


def closed_by(request: RequestRecord, decisions: Sequence[DecisionRecord]) -> tuple[str, ...]:
    """Who closed a request that is no longer pending: its requester if they cancelled it, else
    who decided its last step (an approved request's current step is past its end)."""
    if request.status == Status.CANCELLED:
        return (request.requester_id,)
    return deciders(decisions, min(request.current_step, len(request.steps) - 1))


def eligible_approvers(request: RequestRecord, members: frozenset[str]) -> list[str]:
    """Role holders who may decide this request's steps (never the requester, unless allowed)."""
    return sorted(m for m in members if request.allow_self_approval or m != request.requester_id)


def authorize_decision(
    request: RequestRecord,
    step: int,
    actor: str,
    members: frozenset[str],
    decisions: Sequence[DecisionRecord],
) -> None:
    """Raise unless ``actor`` may decide ``step`` of ``request`` now.

    Authorisation is checked before state, so an outsider learns nothing about the request.
    """
    if step < 0 or step >= len(request.steps):
        raise UnknownRequest(f"{request.ref} step {step + 1}")
    if actor not in members and actor not in delegates(decisions, step):
        raise NotAuthorized("not_an_approver", role=request.steps[step].role)
    if actor == request.requester_id and not request.allow_self_approval:
        raise NotAuthorized("self_approval", role=request.steps[step].role)
    if request.status != Status.PENDING:
        raise RequestClosed(request.ref, request.status, closed_by(request, decisions))
    if step != request.current_step:
        raise StepAlreadyDecided(request.ref, step, deciders(decisions, step))
    for decision in decisions:
        if decision.step == step and decision.approver_id == actor:
            raise AlreadyDecided(request.ref, decision.verdict)


def progress_after(request: RequestRecord, decisions: Sequence[DecisionRecord]) -> Progress:
    """Fold the current step's decisions into the request's next state.

    One rejection rejects the request; ``min_approvals`` distinct approvals complete the step,
    and completing the last step approves the request.
    """
    step = request.current_step
    on_step = [d for d in decisions if d.step == step]
    if any(d.verdict == Verdict.REJECT for d in on_step):
        return Progress(Status.REJECTED, step, True)
    approvers = {d.approver_id for d in on_step if d.verdict == Verdict.APPROVE}
    if len(approvers) < request.steps[step].min_approvals:
        return Progress(Status.PENDING, step, False)
    following = step + 1
    status = Status.APPROVED if following == len(request.steps) else Status.PENDING
    return Progress(status, following, True)
