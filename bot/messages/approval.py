"""The DM an approver gets: the request, and Approve / Reject while the step is open."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock

from bot import ids
from bot.messages import Message
from bot.messages.stamped import Stamped, header, section
from bot.messages.summary import answer_sections, headline, md, step_name
from bot.mrkdwn import escape, truncate, user
from domain.lifecycle import Status, Verdict
from domain.records import DecisionRecord, RequestRecord


def decision_value(request: RequestRecord, step: int) -> str:
    """What an Approve/Reject button carries: which request and which step it decides."""
    return f"{request.ref}:{step}"


def parse_decision_value(value: str) -> tuple[str, int] | None:
    ref, _, step = value.rpartition(":")
    return (ref, int(step)) if ref and step.isdigit() and len(step) < 4 else None


def _is_open(request: RequestRecord, step: int) -> bool:
    return request.status == Status.PENDING and request.current_step == step


def _outcome(request: RequestRecord, step: int, decisions: Sequence[DecisionRecord]) -> str:
    on_step = [d for d in decisions if d.step == step]
    lines = []
    for d in on_step:
        if d.verdict == Verdict.DELEGATE:
            lines.append(f":arrow_right_hook: {user(d.approver_id)} handed this to {user(str(d.reason))}"
                         f"{handover_note(d)}")
            continue
        mark = ":white_check_mark: Approved" if d.verdict == Verdict.APPROVE else ":x: Rejected"
        reason = f": {escape(truncate(d.reason, 500))}" if d.reason else ""
        lines.append(f"{mark} by {user(d.approver_id)}{reason}")
    if request.status == Status.CANCELLED:
        lines.append(f":no_entry_sign: Cancelled by {user(request.requester_id)}: nothing to decide any more.")
    elif _is_open(request, step):
        verdicts = [d for d in on_step if d.verdict != Verdict.DELEGATE]
        needed = max(1, request.steps[step].min_approvals - len(verdicts))  # ≥ 1 while the step is open
        lines.append(f"Waiting for {needed} more approval{'s' if needed != 1 else ''}.")
    elif not any(d.verdict != Verdict.DELEGATE for d in on_step):
        lines.append(f"Closed: the request is {escape(request.status)}.")
    last_step = min(request.current_step, len(request.steps) - 1)
    if request.status in (Status.APPROVED, Status.REJECTED) and step < last_step:  # a later step finished it
        lines.append(f"The request was then {escape(request.status)}.")
    return "\n".join(lines)


def handover_note(decision: DecisionRecord) -> str:
    """A hand-over's note, quoted as typed (escaped: it is the approver's text, not mrkdwn)."""
    return f": “{escape(truncate(decision.note, 500))}”" if decision.note else ""


_DECISION_ROW = Stamped(lambda value: ActionsBlock(block_id=ids.DECISION_BLOCK, elements=[
    ButtonElement(text="Approve", action_id=ids.APPROVE, value=value, style="primary"),
    ButtonElement(text="Reject", action_id=ids.REJECT, value=value, style="danger"),
    ButtonElement(text="Delegate…", action_id=ids.DELEGATE, value=value),
]), "value")


def approval_message(request: RequestRecord, step: int, decisions: Sequence[DecisionRecord]) -> Message:
    """The approver DM for ``step`` as it should look now."""
    blocks: list[Block] = [
        header(f"Approval needed: {request.action_title}"),
        section(f"{headline(request)}\nYour decision is needed for {step_name(request, step)}."),
        *answer_sections(request.answers),
    ]
    outcome = _outcome(request, step, decisions)
    if outcome:
        blocks.append(ContextBlock(elements=[md(outcome)]))
    if _is_open(request, step):
        blocks.append(_DECISION_ROW.fill(value=decision_value(request, step)))
    text = f"Approval needed: {escape(request.ref)} {escape(request.action_title)} from {user(request.requester_id)}"
    return Message(text=truncate(text, 3000), blocks=tuple(blocks))
