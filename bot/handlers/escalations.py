"""Escalations in Slack: Get help on a request, ``/selfserve escalate | help-me | queue``, and the
support channel message's Claim, Resolve (with its note's modal), Reassign and Reopen.

Every change is stored before the click is acked (a 200 means it is durable); what people see
follows by jobs (``bot.escalation_notifier``). A refusal is answered only to the clicker.
"""

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
from bot.messages.escalation import queue_message
from bot.messages.tracking import plain
from bot.modals.notice import notice
from bot.modals.resolve_form import resolve_form, submitted_note
from bot.mrkdwn import escape
from bot.payloads import ButtonClick, SlashCommand, UserPicked, ViewSubmission
from bot.refusals import refusal_text
from domain.errors import DomainError
from domain.escalation_records import EscalationRecord

Ack = Callable[..., Awaitable[Any]]


def escalated_text(escalation: EscalationRecord) -> str:
    return (f":sos: Support has it now: *{escape(escalation.ref)}*. They will answer in a thread in your DM "
            "with me; reply there to tell them more.")


async def escalate(deps: Deps, command: SlashCommand, details: dict[str, Any]) -> Message:
    """``/selfserve escalate REQ-n [what is wrong]``."""
    ref, _, words = command.arguments.partition(" ")
    if not ref:
        return plain(f"Which request? `{ids.COMMAND} escalate REQ-n what is wrong`")
    try:
        return plain(escalated_text(await deps.intake.ask(command.user_id, ref, words or None, "command")))
    except DomainError as refusal:
        return plain(refusal_text(refusal))


async def help_me(deps: Deps, command: SlashCommand, details: dict[str, Any]) -> Message:
    """``/selfserve help-me <question>``: a question tied to no request."""
    if not command.arguments.strip():
        return plain(f"What do you need help with? `{ids.COMMAND} help-me my laptop won't join the VPN`")
    try:
        return plain(escalated_text(await deps.intake.help_me(command.user_id, command.arguments, "command")))
    except DomainError as refusal:
        return plain(refusal_text(refusal))


async def queue(deps: Deps, command: SlashCommand, details: dict[str, Any]) -> Message:
    """``/selfserve queue``: open escalations, oldest first, with their buttons (support role only)."""
    try:
        return queue_message(await deps.intake.queue(command.user_id))
    except DomainError as refusal:
        return plain(refusal_text(refusal))


async def help_with_words(deps: Deps, user_id: str, words: str) -> str:
    """The "None of these? Get help" button under suggestions: the words become a question."""
    try:
        return escalated_text(await deps.intake.help_me(user_id, words, "suggestions"))
    except DomainError as refusal:
        return refusal_text(refusal)


def register(app: AsyncApp, deps: Deps) -> None:
    desk = deps.escalations

    async def on_get_help(ack: Ack, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        click = ButtonClick.parse(body)
        try:
            answer = escalated_text(await deps.intake.ask(click.user_id, click.value, None, "button"))
        except DomainError as refusal:
            answer = refusal_text(refusal)
        await ack()
        deps.tasks.spawn(tell(client, respond, click, answer), "respond")

    def button(change: Callable[[str, str], Awaitable[EscalationRecord]], done: str) -> Callable[..., Any]:
        async def on_click(ack: Ack, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
            click = ButtonClick.parse(body)
            try:
                escalation = await change(click.user_id, click.value)
            except DomainError as refusal:
                await ack()
                deps.tasks.spawn(tell(client, respond, click, refusal_text(refusal)), "respond")
                return
            await ack()
            if click.view_type:  # in a Home tab or a list: no message of its own to redraw
                deps.tasks.spawn(tell(client, respond, click, f"*{escape(escalation.ref)}* {done}."), "respond")
        return on_click

    async def on_resolve(ack: Ack, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        click = ButtonClick.parse(body)
        await ack()
        try:
            await desk.authorize(click.user_id, click.value, "resolved")
        except DomainError as refusal:
            await tell(client, respond, click, refusal_text(refusal))
            return
        await client.views_open(trigger_id=click.trigger_id, view=resolve_form(click.value[:64]))

    async def on_resolve_submit(ack: Ack, body: dict[str, Any]) -> None:
        submission = ViewSubmission.parse(body)
        note = submitted_note(submission.view)
        if not note:
            await ack(response_action="errors", errors={ids.RESOLVE_NOTE: "Say how it was resolved."})
            return
        try:
            await desk.resolve(submission.user_id, submission.meta_str("escalation"), note)
        except DomainError as refusal:
            await ack(response_action="update", view=notice("Not resolved", refusal_text(refusal)))
            return
        await ack()

    async def on_reassign(ack: Ack, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        picked = UserPicked.parse(body, ids.ESCALATION_BLOCK)
        try:
            await desk.reassign(picked.click.user_id, picked.target, picked.picked)
        except DomainError as refusal:
            await ack()
            deps.tasks.spawn(tell(client, respond, picked.click, refusal_text(refusal)), "respond")
            return
        await ack()

    app.action(ids.GET_HELP_ON_REQUEST)(on_get_help)
    app.action(ids.CLAIM)(button(desk.claim, "is yours"))
    app.action(ids.REOPEN)(button(desk.reopen, "is open again"))
    app.action(ids.RESOLVE)(on_resolve)
    app.action(ids.REASSIGN)(on_reassign)
    app.view(ids.RESOLVE_FORM)(on_resolve_submit)
