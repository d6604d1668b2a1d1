"""Typed refusals turned into what the user reads, in one place."""

from __future__ import annotations

from functools import singledispatch

from bot import ids
from bot.mrkdwn import escape, user
from domain.delegation import CannotDelegate
from domain.errors import (
    AlreadyDecided,
    DomainError,
    NotAuthorized,
    RequestClosed,
    StepAlreadyDecided,
    UnknownAction,
    UnknownRequest,
)
from domain.escalation_desk import AnotherEscalationOpen, CannotReassign, EscalationTaken, UnknownEscalation
from domain.escalation_intake import EscalationsOff
from domain.feedback import FeedbackRefused
from domain.fulfilment_desk import NothingToDo


def _by(deciders: tuple[str, ...]) -> str:
    return " by " + ", ".join(user(d) for d in deciders) if deciders else ""


@singledispatch
def refusal_text(error: DomainError) -> str:
    return "Sorry, that can't be done."


@refusal_text.register
def _(error: UnknownAction) -> str:
    text = f"There is no action called `{escape(error.name[:100])}`."
    if error.suggestions:
        text += " Did you mean " + " or ".join(f"`{escape(s)}`" for s in error.suggestions) + "?"
    return text + f" Type `{ids.COMMAND} help` to see what you can request."


_NOT_AUTHORIZED = {
    "not_a_requester": "Sorry, you are not allowed to request this. Ask an admin if you think you should be.",
    "not_an_approver": "Sorry, only members of the *{role}* role can decide this step.",
    "self_approval": "You can't decide on your own request; someone else in *{role}* has to.",
    "not_an_admin": "Only members of the *{role}* role can do that.",
    "not_support": "Only support and admins can run a fulfilment step again.",
    "not_the_requester": "Only the person who made the request can do that.",
    "not_support_role": "Only members of the *{role}* role can do that.",
}


@refusal_text.register
def _(error: NotAuthorized) -> str:
    return _NOT_AUTHORIZED.get(error.reason, "Sorry, you are not allowed to do that.").format(
        role=escape(error.role or "")
    )


@refusal_text.register
def _(error: UnknownRequest) -> str:
    return f"I can't find request `{escape(error.ref[:64])}`; it may have been removed."


@refusal_text.register
def _(error: RequestClosed) -> str:
    return f"*{escape(error.ref)}* is already {escape(error.status)}{_by(error.decided_by)}. Nothing changed."


@refusal_text.register
def _(error: StepAlreadyDecided) -> str:
    return f"This step of *{escape(error.ref)}* was already decided{_by(error.decided_by)}. Nothing changed."


@refusal_text.register
def _(error: AlreadyDecided) -> str:
    if error.verdict == "delegate":
        return f"You handed *{escape(error.ref)}* to someone else; they decide it now."
    verdict = "approved" if error.verdict == "approve" else "rejected"
    return f"You already {verdict} *{escape(error.ref)}*."


_CANNOT_DELEGATE = {
    "to_self": "Choose someone other than yourself.",
    "to_requester": "The requester can't decide their own request; choose someone else.",
    "already_theirs": "It is already theirs to decide.",
    "already_decided": "They have already decided this step (or handed it on), so they can't take it.",
    "ended": "That date has already passed.",
}


@refusal_text.register
def _(error: CannotDelegate) -> str:
    return _CANNOT_DELEGATE.get(error.reason, "That person can't take it over.")


@refusal_text.register
def _(error: FeedbackRefused) -> str:
    if error.reason == "already_answered":
        return f"You already gave your feedback on *{escape(error.ref)}*. Thanks!"
    return f"I can't find a finished request of yours called `{escape(error.ref[:64])}`."


@refusal_text.register
def _(error: NothingToDo) -> str:
    return f"Nothing to do: {escape(error.ref)} is {escape(error.state.replace('_', ' '))} now."


@refusal_text.register
def _(error: UnknownEscalation) -> str:
    return f"I can't find escalation `{escape(error.ref[:64])}`."


@refusal_text.register
def _(error: EscalationTaken) -> str:
    ref = escape(error.ref)
    if error.status == "claimed":
        holder = user(error.assignee) if error.assignee else "someone"
        return f"*{ref}* is already claimed by {holder}. Nothing changed."
    if error.status == "resolved":
        return f"*{ref}* is already resolved. Nothing changed."
    return f"*{ref}* is still open; there is nothing to reopen."


_CANNOT_REASSIGN = {
    "not_support": "Choose someone in the support role: only they can act on escalations.",
    "already_theirs": "It is already theirs.",
}


@refusal_text.register
def _(error: CannotReassign) -> str:
    return _CANNOT_REASSIGN.get(error.reason, "That person can't take it over.")


@refusal_text.register
def _(error: AnotherEscalationOpen) -> str:
    return f"Its request already has an open escalation, *{escape(error.other)}*: carry on there."


@refusal_text.register
def _(error: EscalationsOff) -> str:
    return "No support channel is set up, so I can't pass this to a person. Please ask your IT or HR team directly."
