"""What an escalation looks like: its message in the support channel (kept in step with it), what
the requester is told, and the rows of ``/selfserve queue`` and the support staff's Home tab."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    SectionBlock,
    UserSelectElement,
)

from bot import ids
from bot.messages import Message
from bot.messages.fulfilment import retry_blocks
from bot.messages.summary import md, when
from bot.messages.tracking import status_message
from bot.mrkdwn import escape, truncate, unescape, user
from domain.escalation_intake import EscalationView
from domain.escalation_records import EscalationEvent, EscalationRecord, EscalationStatus
from domain.escalations import AGAIN, CLAIMED, OPENED, REASSIGNED, REOPENED, RESOLVED

QUOTED = 1500  # characters of the requester's words or a note quoted in a message


def quote(text: str, limit: int = QUOTED) -> str:
    """User text as an inert mrkdwn quote: escaped, every line quoted, cut to ``limit``."""
    return "\n".join(f">{line}" for line in escape(truncate(text, limit)).splitlines() or [""])


def who(by: str | None) -> str:
    return user(by) if by else "the bot"


def waited(since: datetime, now: datetime) -> str:
    """How long, in the largest unit that fits: ``3 h 20 min``, ``2 d 4 h``, ``5 min``."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {mins} min" if hours else f"{mins} min"


def _state(escalation: EscalationRecord) -> str:
    if escalation.status == EscalationStatus.OPEN:
        return ":rotating_light: *Open*: waiting for someone to claim it"
    if escalation.status == EscalationStatus.CLAIMED:
        return f":raising_hand: *Claimed* by {user(str(escalation.assignee))}"
    resolver = next((e.by for e in reversed(escalation.history) if e.what == RESOLVED), None)
    line = f":white_check_mark: *Resolved* by {who(resolver)}"
    return line + (f"\n{quote(escalation.note)}" if escalation.note else "")


def _event(event: EscalationEvent) -> str:
    moment = when(event.at)
    if event.what in (OPENED, AGAIN):
        verb = "escalated" if event.what == OPENED else "escalated again"
        line = f"{who(event.by)} {verb} ({escape(event.reason or '')}) {moment}"
    elif event.what == REASSIGNED:
        line = f"{who(event.by)} reassigned it to {user(str(event.to))} {moment}"
    else:
        line = f"{who(event.by)} {escape(event.what)} it {moment}"
    return line


def support_message(view: EscalationView, now: datetime) -> Message:
    """The escalation in the support channel: who, about what, why, the requester's words, how long
    it has waited, its request's state, history and answers, and the buttons its state allows (with
    Retry for a fulfilment step that failed, whatever became of the escalation)."""
    escalation = view.escalation
    about = f"*{escape(view.request.request.ref)}* · {escape(view.request.request.action_title)}" \
        if view.request else "a question"
    since = view.request.request.created_at if view.request else escalation.created_at
    head = (f":sos: *{escape(escalation.ref)}* · {user(escalation.requester_id)} needs help with {about}\n"
            f"Why: {escape(escalation.reason)} · escalated by {who(escalation.opened_by)} {when(escalation.created_at)}"
            f" · waiting {waited(since, now) if escalation.is_open else 'no more'}\n{_state(escalation)}")
    blocks: list[Block] = [SectionBlock(text=md(truncate(head, 3000)))]
    said = [e for e in escalation.history if e.text and e.what in (OPENED, AGAIN)]
    for event in said[-3:]:
        blocks.append(SectionBlock(text=md(f"{who(event.by)} wrote:\n{quote(event.text or '')}")))
    if view.request is not None:
        blocks.extend(status_message(view.request, viewer="").blocks[:4])
        blocks.extend(retry_blocks(view.request.request, view.request.fulfilment))  # a failed step's Retry
    history = "\n".join(_event(e) for e in escalation.history[-10:])
    blocks.append(ContextBlock(elements=[md(truncate(history, 3000))]))
    blocks.append(support_buttons(escalation))
    blocks.append(ContextBlock(elements=[md("Reply in this thread to talk with the requester: replies reach them "
                                            "in their DM with the app, and theirs come back here.")]))
    text = f"{escape(escalation.ref)}: {escape(escalation.status)} · help needed by {user(escalation.requester_id)}"
    return Message(text=text, blocks=tuple(blocks))


def support_buttons(escalation: EscalationRecord) -> ActionsBlock:
    """Claim, Resolve and Reassign while it is open; Reopen once it is resolved."""
    value = escalation.ref
    if not escalation.is_open:
        elements: list[ButtonElement | UserSelectElement] = [
            ButtonElement(text="Reopen", action_id=ids.REOPEN, value=value)]
    else:
        elements = [ButtonElement(text="Resolve", action_id=ids.RESOLVE, value=value, style="primary"),
                    UserSelectElement(placeholder="Reassign to…", action_id=ids.REASSIGN)]
        if escalation.status == EscalationStatus.OPEN:
            elements.insert(0, ButtonElement(text="Claim", action_id=ids.CLAIM, value=value))
    return ActionsBlock(block_id=f"{ids.ESCALATION_BLOCK}{escalation.id}", elements=elements)


_TOLD = {
    CLAIMED: "{by} from support has picked it up.",
    REASSIGNED: "It is now with {to}.",
    RESOLVED: ":white_check_mark: {by} marked it resolved.",
    REOPENED: "{by} reopened it; support is on it again.",
}


def requester_notice(escalation: EscalationRecord, what: str, by: str | None, about: str | None) -> Message:
    """What the requester is told: the first one opens the DM thread the conversation happens in."""
    ref = escape(escalation.ref)
    if what == OPENED:
        subject = f"your request *{escape(about)}*" if about else "your question"
        opener = "I" if by is None else ("You" if by == escalation.requester_id else user(by))
        asked = "passed" if by is None else "asked support about"
        text = (f":sos: {opener} {asked} {subject} ({ref}). Someone from support will answer here. "
                "*Reply in this thread* to tell them more; what they write in their thread comes here.")
        if by is None:
            text = f":sos: I passed {subject} to support ({ref}): {escape(escalation.reason)}. " \
                   "*Reply in this thread* to tell them more."
    else:
        text = f"*{ref}*: " + _TOLD.get(what, "{by} changed it.").format(by=who(by), to=user(str(escalation.assignee)))
        if what == RESOLVED and escalation.note:
            text += f"\n{quote(escalation.note)}\nIf it isn't solved, reply in this thread."
    return Message(text=truncate(text, 3000), blocks=(SectionBlock(text=md(truncate(text, 3000))),))


def relayed(author: str, side: str, text: str) -> str:
    """A relayed message: who wrote it (and from which side), then their text as it reads in Slack.

    Slack sends a message's text with ``&``, ``<`` and ``>`` escaped and with mentions and links as
    ``<…>`` sequences; those are made inert too (an ``@channel`` in the requester's DM must not
    ping the support channel), so what arrives is the text, never a mention or a link."""
    label = "support" if side == "support" else "requester"
    return truncate(f"{user(author)} ({label}) wrote:\n{quote(unescape(text), 38_000)}", 39_000)


def queue_rows(escalation: EscalationRecord) -> list[Block]:
    """One open escalation in a list: who, what, since when, and its buttons."""
    words = f"\n{quote(escalation.words, 300)}" if escalation.words else ""
    text = (f"*{escape(escalation.ref)}* · {user(escalation.requester_id)} · {escape(escalation.reason)} · "
            f"{escape(escalation.status)} since {when(escalation.updated_at)}{words}")
    return [SectionBlock(text=md(truncate(text, 3000))), support_buttons(escalation)]


def queue_message(escalations: list[EscalationRecord]) -> Message:
    if not escalations:
        return Message(text="No open escalations.", blocks=(SectionBlock(text=md("No open escalations. :tada:")),))
    intro = f"{len(escalations)} open escalation{'s' if len(escalations) != 1 else ''}, oldest first:"
    blocks: list[Block] = [SectionBlock(text=md(intro))]
    for escalation in escalations:
        blocks.extend(queue_rows(escalation))
    return Message(text=intro, blocks=tuple(blocks[:50]))


def get_help_button(ref: str) -> ButtonElement:
    """On every DM to a requester about a request: asks support, after a confirmation."""
    return ButtonElement(text="Get help", action_id=ids.GET_HELP_ON_REQUEST, value=ref, confirm=ConfirmObject(
        title="Ask support?", confirm="Ask support", deny="Not now",
        text=f"Support staff will see {escape(ref)} and can talk with you in a thread here."))
