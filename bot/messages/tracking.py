"""Following requests in Slack: one request in full (``status``), lists of one's requests
(``mine``, ``status`` without an id) and of what waits on one (``pending``), and a cancellation.

Each request is named by its id. Buttons are the ones its DMs carry (Approve / Reject with the
same action ids and values, Cancel), so the same handlers answer them, from any surface. The
words for this module's refusals are registered with ``bot.refusals.refusal_text`` here.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject, ContextBlock, SectionBlock

from bot import ids
from bot.messages import Message
from bot.messages.approval import decision_value, handover_note
from bot.messages.fulfilment import progress_blocks
from bot.messages.service_levels import service_level_text
from bot.messages.summary import answer_sections, answer_value, headline, md, step_name, when
from bot.mrkdwn import escape, truncate, user
from bot.refusals import refusal_text
from domain.cancellation import NotYourRequest
from domain.lifecycle import Status, Verdict
from domain.records import DecisionRecord, RequestRecord, parse_request_ref
from domain.tracking import RequestNotVisible, RequestStatus

SUMMARY_ANSWERS = 4  # answers a list item shows, so an approver sees what they decide on
SUMMARY_LIMIT = 400

_STATE_MARKS: dict[str, str] = {
    Status.APPROVED: ":white_check_mark: approved",
    Status.REJECTED: ":x: rejected",
    Status.CANCELLED: ":no_entry_sign: cancelled",
    Status.FAILED: ":warning: approved, but carrying it out failed",
    Status.EXPIRED: ":lock: approved; its access has ended",
}


def _not_an_id(ref: str) -> str | None:
    """The answer when what was typed is no request id at all (nothing to hide then)."""
    if parse_request_ref(ref) is not None:
        return None
    return (f"`{escape(truncate(ref, 64))}` is not a request id; ids look like `REQ-12`. "
            f"`{ids.COMMAND} mine` lists yours.")


@refusal_text.register
def _(error: RequestNotVisible) -> str:
    return _not_an_id(error.ref) or (f"I can't show you `{escape(error.ref)}`: there is no such request, or it "
                                     f"isn't one you may see. `{ids.COMMAND} mine` lists yours.")


@refusal_text.register
def _(error: NotYourRequest) -> str:
    return _not_an_id(error.ref) or (f"You can only cancel your own requests, and `{escape(error.ref)}` is not "
                                     f"one of them. `{ids.COMMAND} mine` lists yours.")


def state(request: RequestRecord) -> str:
    """Where the request stands, in a few words."""
    if request.status == Status.PENDING and request.current_step < len(request.steps):
        return f":hourglass_flowing_sand: waiting at {step_name(request, request.current_step)}"
    return _STATE_MARKS.get(request.status, escape(request.status))


def cancel_button(ref: str) -> ButtonElement:
    """Cancel, confirmed first: everyone asked to approve is told."""
    return ButtonElement(text="Cancel request", action_id=ids.CANCEL, value=ref, style="danger",
                         confirm=ConfirmObject(title="Cancel this request?", confirm="Cancel it", deny="Keep it",
                                               text=f"{escape(ref)} will be withdrawn and its approvers told."))


def decision_buttons(request: RequestRecord) -> ActionsBlock:
    """Approve / Reject for the request's current step: the approval DM's buttons."""
    value = decision_value(request, request.current_step)
    return ActionsBlock(block_id=f"{ids.DECISION_BLOCK}.{request.id}", elements=[
        ButtonElement(text="Approve", action_id=ids.APPROVE, value=value, style="primary"),
        ButtonElement(text="Reject", action_id=ids.REJECT, value=value, style="danger"),
    ])


def request_row(request: RequestRecord) -> Block:
    """One of the person's own requests: id, title, state, when; Cancel while it is pending."""
    text = f"*{escape(request.ref)}* · {escape(request.action_title)}\n{state(request)} · {when(request.created_at)}"
    pending = request.status == Status.PENDING
    return SectionBlock(text=md(truncate(text, 3000)), accessory=cancel_button(request.ref) if pending else None)


def waiting_rows(request: RequestRecord) -> list[Block]:
    """A request waiting on the reader: who asks, for what, at which step, with the decision buttons."""
    answers = " · ".join(f"*{escape(a.label)}*: {answer_value(a)}" for a in request.answers[:SUMMARY_ANSWERS])
    text = (f"*{escape(request.ref)}* · {escape(request.action_title)} · from {user(request.requester_id)}\n"
            f"Your decision for {step_name(request, request.current_step)}")
    if answers:
        text += "\n" + truncate(answers, SUMMARY_LIMIT)
    return [SectionBlock(text=md(truncate(text, 3000))), decision_buttons(request)]


def request_list(requests: Sequence[RequestRecord], intro: str, empty: str) -> Message:
    """The person's own requests, newest first (`mine`, `status` without an id)."""
    if not requests:
        return plain(empty)
    blocks: list[Block] = [SectionBlock(text=md(intro)), *(request_row(r) for r in requests)]
    blocks.append(ContextBlock(elements=[md(f"`{ids.COMMAND} status REQ-n` shows one request in full.")]))
    return Message(text=intro, blocks=tuple(blocks))


def pending_list(requests: Sequence[RequestRecord]) -> Message:
    """What waits on the person's decision, each with its buttons."""
    if not requests:
        return plain("Nothing is waiting on your decision.")
    count = f"{len(requests)} request{'s' if len(requests) != 1 else ''}"
    intro = f"{count} waiting on your decision, newest first:"
    blocks: list[Block] = [SectionBlock(text=md(intro))]
    for request in requests:
        blocks.extend(waiting_rows(request))
    return Message(text=intro, blocks=tuple(blocks))


def _verdict(decision: DecisionRecord) -> str:
    moment = when(decision.created_at)
    if decision.verdict == Verdict.APPROVE:  # a rule that approved a step gives it as the reason
        rule = f" ({escape(truncate(decision.reason, 300))})" if decision.reason else ""
        return f":white_check_mark: approved by {user(decision.approver_id)}{rule} {moment}"
    if decision.verdict == Verdict.REJECT:
        reason = f": {escape(truncate(decision.reason, 300))}" if decision.reason else ""
        return f":x: rejected by {user(decision.approver_id)} {moment}{reason}"
    # a hand-over: the decision names who the step went to
    return (f":arrow_right_hook: {user(decision.approver_id)} handed it to {user(str(decision.reason))} {moment}"
            f"{handover_note(decision)}")


def _step_line(status: RequestStatus, step: int) -> str:
    request = status.request
    lines = [_verdict(d) for d in status.decisions if d.step == step]
    open_step = request.status == Status.PENDING and step == request.current_step
    if open_step:
        approvals = sum(1 for d in status.decisions if d.step == step and d.verdict == Verdict.APPROVE)
        needed = max(1, request.steps[step].min_approvals - approvals)
        who = ", ".join(user(u) for u in status.waiting_on) or "nobody (ask an admin to add approvers)"
        lines.append(f":hourglass_flowing_sand: waiting for {needed} approval{'s' if needed != 1 else ''} "
                     f"from {who}")
    elif not lines:
        lines.append("not reached yet" if request.status == Status.PENDING else "—")
    return f"{step + 1}. *{escape(request.steps[step].role)}*: " + "; ".join(lines)


def _outcome(status: RequestStatus) -> str:
    request = status.request
    if request.status == Status.PENDING:
        levels = service_level_text(status.service_levels)
        return f"*Pending* {state(request)}." + (f"\n{levels}" if levels else "")
    moment = f" {when(request.decided_at)}" if request.decided_at else ""
    if request.status == Status.CANCELLED:
        return f":no_entry_sign: *Cancelled* by {user(request.requester_id)}{moment}."
    if request.status == Status.APPROVED:
        return f":white_check_mark: *Approved*{moment}."
    if request.status == Status.FAILED:
        return f":warning: *Approved*{moment}, but a step of carrying it out failed; support can retry it."
    if request.status == Status.EXPIRED:
        return f":lock: *Approved*{moment}; the access it gave has ended."
    return f":x: *Rejected*{moment}."


def status_message(status: RequestStatus, viewer: str) -> Message:
    """One request in full: its state, each step with who decided and when, and who is waited on;
    Cancel for its requester and the decision buttons for whoever it waits on, while pending."""
    request = status.request
    blocks: list[Block] = [
        SectionBlock(text=md(f"{headline(request)}\nSubmitted {when(request.created_at)}.\n{_outcome(status)}")),
    ]
    if request.steps:
        steps = "\n".join(_step_line(status, step) for step in range(len(request.steps)))
        blocks.append(SectionBlock(text=md(truncate(f"*Approvals*\n{steps}", 3000))))
    blocks.extend(progress_blocks(status.fulfilment, status.plan, detailed=True))
    blocks.extend(answer_sections(request.answers))
    if request.status == Status.PENDING and viewer in status.waiting_on:
        blocks.append(decision_buttons(request))
    if request.status == Status.PENDING and viewer == request.requester_id:
        blocks.append(ActionsBlock(elements=[cancel_button(request.ref)]))
    text = f"{escape(request.ref)} {escape(request.action_title)}: {escape(request.status)}"
    return Message(text=truncate(text, 3000), blocks=tuple(blocks))


def cancelled_text(request: RequestRecord) -> str:
    return (f":no_entry_sign: *{escape(request.ref)}* ({escape(request.action_title)}) is cancelled. "
            "Everyone asked to approve it sees that now.")


def plain(text: str) -> Message:
    """An answer that is one piece of mrkdwn."""
    return Message(text=text, blocks=(SectionBlock(text=md(truncate(text, 3000))),))
