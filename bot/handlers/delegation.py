"""Delegate: an approver hands a step to someone else through a small modal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import SectionBlock
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids
from bot.deps import Deps
from bot.messages.approval import parse_decision_value
from bot.messages.summary import md
from bot.modals.delegate_form import delegate_form, submitted_delegation
from bot.payloads import ButtonClick, ViewSubmission
from bot.refusals import refusal_text
from domain.delegation import CannotDelegate
from domain.errors import DomainError

Ack = Callable[..., Awaitable[Any]]


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_delegate(ack: Ack, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        click = ButtonClick.parse(body)
        await ack()
        deps.tasks.spawn(_ask_whom(click, client, respond), "delegate-form")

    async def _ask_whom(click: ButtonClick, client: AsyncWebClient, respond: AsyncRespond) -> None:
        ref, step = parse_decision_value(click.value) or (click.value[:64] or "(none)", -1)
        try:
            request = await deps.service.check_decidable(click.user_id, ref, step)
        except DomainError as refusal:
            await respond(text=refusal_text(refusal), response_type="ephemeral", replace_original=False)
            return
        await client.views_open(trigger_id=click.trigger_id, view=delegate_form(request.ref, step,
                                                                                request.action_title))

    async def on_submit(ack: Ack, body: dict[str, Any]) -> None:
        submission = ViewSubmission.parse(body)
        to_user, note = submitted_delegation(submission.view)
        if not to_user:
            await ack(response_action="errors", errors={ids.DELEGATE_TO: "Choose someone."})
            return
        try:
            await deps.delegation.delegate(submission.user_id, submission.meta_str("request"),
                                           submission.meta_int("step"), to_user, note)
        except CannotDelegate as refusal:
            await ack(response_action="errors", errors={ids.DELEGATE_TO: refusal_text(refusal)})
            return
        except DomainError as refusal:
            notice = View(type="modal", title="Not handed over", close="Close",
                          blocks=[SectionBlock(text=md(refusal_text(refusal)))])
            await ack(response_action="update", view=notice)
            return
        await ack()

    app.action(ids.DELEGATE)(on_delegate)
    app.view(ids.DELEGATE_FORM)(on_submit)
