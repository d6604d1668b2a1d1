"""The feedback question posted when a request finishes, and what replaces it once answered."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ContextBlock, SectionBlock

from bot import ids
from bot.messages import Message
from bot.messages.summary import md
from bot.mrkdwn import escape, truncate
from domain.feedback import Rating
from domain.records import RequestRecord

QUESTION = "Did this get you what you needed?"
EMOJI = {Rating.UP: "👍", Rating.DOWN: "👎"}


def _about(request: RequestRecord) -> str:
    what = f"*{escape(request.ref)}* · {escape(truncate(request.action_title, 200))}"
    if request.status == "pending":  # asked because its escalation was resolved
        return f"Support resolved your request for help with {what}."
    return f"{what} is {escape(request.status)}."


def _state(request: RequestRecord) -> str:
    return f"{request.ref}: help resolved" if request.status == "pending" else f"{request.ref} is {request.status}"


def feedback_question(request: RequestRecord) -> Message:
    """👍 / 👎 buttons, each carrying the request's ref."""
    return Message(text=f"{_state(request)}. {QUESTION}", blocks=(
        SectionBlock(text=md(f"{_about(request)} {QUESTION}")),
        ActionsBlock(block_id="feedback", elements=[
            ButtonElement(text="👍 Yes", action_id=ids.FEEDBACK_UP, value=request.ref),
            ButtonElement(text="👎 No", action_id=ids.FEEDBACK_DOWN, value=request.ref),
        ]),
        ContextBlock(elements=[md(f"One click, and optionally a comment. `{ids.COMMAND} feedback off` "
                                  "stops these questions.")]),
    ))


def feedback_thanks(request: RequestRecord, rating: Rating) -> Message:
    """The question once answered: no buttons, the answer shown."""
    text = f"Thanks for your feedback on {request.ref}: {EMOJI[rating]}"
    return Message(text=text, blocks=(SectionBlock(text=md(f"{_about(request)} {QUESTION} {EMOJI[rating]}")),
                                      ContextBlock(elements=[md("Thanks for your feedback!")])))
