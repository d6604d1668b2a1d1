"""What the requester is told: a receipt, then each decision."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Block

from bot import ids
from bot.messages import Message
from bot.messages.escalation import get_help_button
from bot.messages.fulfilment import access_buttons, progress_blocks
from bot.messages.stamped import Stamped, section
from bot.messages.summary import answer_sections, waiting_on
from bot.messages.tracking import cancel_button
from bot.mrkdwn import escape, truncate, user
from domain.fulfilment_records import PlanRecord, StepRecord
from domain.lifecycle import Status, Verdict
from domain.records import DecisionRecord, RequestRecord


def _status_line(request: RequestRecord) -> str:
    if request.status == Status.APPROVED:
        return ":white_check_mark: Approved."
    if request.status == Status.REJECTED:
        return ":x: Rejected."
    if request.status == Status.CANCELLED:
        return f":no_entry_sign: Cancelled by {user(request.requester_id)}."
    if request.status == Status.FAILED:
        return ":warning: Approved, but it could not be carried out yet: support has been told."
    if request.status == Status.EXPIRED:
        return ":lock: Approved; the access it gave has ended."
    step = f" (step {request.current_step + 1} of {len(request.steps)})" if len(request.steps) > 1 else ""
    return f"Waiting for {waiting_on(request.steps[request.current_step])}{step}."


_CANCEL_OR_HELP = Stamped(lambda ref: ActionsBlock(block_id=ids.CANCEL, elements=[cancel_button(ref),
                                                                                 get_help_button(ref)]), "ref")


def _help_row(block_id: str) -> Stamped:
    return Stamped(lambda ref: ActionsBlock(block_id=block_id, elements=[get_help_button(ref)]), "ref")


_HELP_UNDER_RECEIPT = _help_row(ids.CANCEL)  # where Cancel was, once the request is no longer pending
_HELP = _help_row(ids.GET_HELP_ON_REQUEST)


def receipt(request: RequestRecord, steps: Sequence[StepRecord] = (), plan: PlanRecord | None = None) -> Message:
    """Sent once the request is stored and redrawn at each change: its id, where it stands, its
    answers, a Cancel button while it is pending, and once approved each fulfilment step as it
    runs (with End access now and Extend while time-bound access lasts)."""
    intro = f"Your request *{escape(request.ref)}* for *{escape(request.action_title)}* was submitted."
    if not request.steps:
        intro += " It needs no approval."
    blocks: list[Block] = [
        section(f"{intro}\n{_status_line(request)}"),
        *answer_sections(request.answers),
        *progress_blocks(steps, plan),
    ]
    buttons = _CANCEL_OR_HELP if request.status == Status.PENDING else _HELP_UNDER_RECEIPT
    blocks.append(buttons.fill(ref=request.ref))
    if plan is not None and plan.granted_at is not None and plan.ended_at is None:
        blocks.append(access_buttons(request))
    text = f"Request {escape(request.ref)} submitted: {escape(request.action_title)}"
    return Message(text=text, blocks=tuple(blocks))


def decision_update(
    request: RequestRecord, step: int, verdict: str, decided_by: str, decisions: Sequence[DecisionRecord]
) -> Message:
    """Sent when a step is decided: approved (and what's next), or rejected with the reason."""
    ref = escape(request.ref)
    title = escape(request.action_title)
    if verdict == Verdict.REJECT:
        reason = next((d.reason for d in decisions if d.step == step and d.verdict == Verdict.REJECT), None)
        text = f":x: Your request *{ref}* ({title}) was rejected by {user(decided_by)}."
        if reason:
            text += f"\n>{escape(truncate(reason, 1000))}"
    elif request.status == Status.APPROVED and step == len(request.steps) - 1:
        text = f":white_check_mark: Your request *{ref}* ({title}) is approved. Last approval by {user(decided_by)}."
    else:
        text = (f"Step {step + 1} of {len(request.steps)} of *{ref}* ({title}) was approved by "
                f"{user(decided_by)}. {_status_line(request)}")
    return _with_help(request, text)


def _with_help(request: RequestRecord, text: str) -> Message:
    """A one-paragraph DM about ``request`` with its Get help button."""
    return Message(text=truncate(text, 3000), blocks=(section(text), _HELP.fill(ref=request.ref)))


def stuck(request: RequestRecord, step: int, eligible: int) -> Message:
    """Sent when a step has fewer possible approvers than it needs (the requester can't
    approve their own request, or the role is too small), so the request cannot move on."""
    needed, role = request.steps[step].min_approvals, request.steps[step].role
    who = "nobody else" if eligible == 0 else f"only {eligible} other {'person' if eligible == 1 else 'people'}"
    text = (f":warning: Your request *{escape(request.ref)}* ({escape(request.action_title)}) is stuck: step "
            f"{step + 1} needs {needed} approval{'s' if needed != 1 else ''} from *{escape(role)}*, and {who} "
            f"in that role may give one. Ask an admin to add approvers to *{escape(role)}*.")
    return _with_help(request, text)
