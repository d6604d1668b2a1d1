"""Feedback: the 👍 / 👎 buttons on the question, the optional comment modal, and
``/selfserve feedback on|off`` (dispatched by ``bot.handlers.commands``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids
from bot.deps import Deps
from bot.handlers.shared import tell
from bot.messages import Message
from bot.messages.feedback import EMOJI, feedback_thanks
from bot.modals.feedback_comment import feedback_comment_form, submitted_comment
from bot.modals.notice import notice
from bot.payloads import ButtonClick, SlashCommand, ViewSubmission
from bot.refusals import refusal_text
from domain.errors import DomainError
from domain.feedback import Rating
from domain.records import RequestRecord

Ack = Callable[..., Awaitable[Any]]
USAGE = (f"`{ids.COMMAND} feedback off` stops the question asked when your requests finish; "
         f"`{ids.COMMAND} feedback on` brings it back.")


async def feedback(deps: Deps, command: SlashCommand, details: dict[str, Any]) -> Message:
    """``/selfserve feedback off|on``."""
    word = command.arguments.strip().lower()
    if word not in ("on", "off"):
        return Message(text=USAGE, blocks=())
    await deps.feedback.set_questions(command.user_id, word == "on")
    text = ("You will be asked how it went when your requests finish." if word == "on" else
            f"You won't be asked for feedback any more. `{ids.COMMAND} feedback on` brings the question back.")
    return Message(text=text, blocks=())


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_rate(ack: Ack, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        """Stored before the ack; the comment modal opens right after it (its trigger lives 3 s)."""
        click = ButtonClick.parse(body)
        rating = Rating.UP if click.action_id == ids.FEEDBACK_UP else Rating.DOWN
        try:
            request = await deps.feedback.rate(click.user_id, click.value, rating)
        except DomainError as refusal:
            await ack()
            deps.tasks.spawn(tell(client, respond, click, refusal_text(refusal)), "respond")
            return
        await ack()
        deps.tasks.spawn(_answered(client, respond, click, request, rating), "feedback")

    async def _answered(client: AsyncWebClient, respond: AsyncRespond, click: ButtonClick,
                        request: RequestRecord, rating: Rating) -> None:
        await client.views_open(trigger_id=click.trigger_id, view=feedback_comment_form(request.ref, EMOJI[rating]))
        thanks = feedback_thanks(request, rating)
        await respond(text=thanks.text, blocks=thanks.blocks_json(), replace_original=True)

    async def on_comment(ack: Ack, body: dict[str, Any]) -> None:
        submission = ViewSubmission.parse(body)
        try:
            await deps.feedback.comment(submission.user_id, submission.meta_str("request"),
                                        submitted_comment(submission.view))
        except DomainError as refusal:
            await ack(response_action="update", view=notice("Not sent", refusal_text(refusal)))
            return
        await ack()

    app.action(ids.FEEDBACK_BUTTONS)(on_rate)
    app.view(ids.FEEDBACK_COMMENT)(on_comment)
