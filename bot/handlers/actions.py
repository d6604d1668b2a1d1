"""Button clicks: open a form from the help list, approve, or start a rejection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids
from bot.deps import Deps
from bot.handlers.shared import open_form, tell
from bot.messages.approval import parse_decision_value
from bot.modals.reject_reason import reject_reason_form
from bot.payloads import ButtonClick
from bot.refusals import refusal_text
from domain.errors import DomainError
from domain.lifecycle import Verdict

Ack = Callable[..., Awaitable[Any]]


def _decision_target(click: ButtonClick) -> tuple[str, int]:
    """The (request, step) a button decides; a garbled value becomes a reference the service
    cannot find, so it is refused and audited like any other unknown request."""
    return parse_decision_value(click.value) or (click.value[:64] or "(none)", -1)


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_open_form(ack: Ack, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        click = ButtonClick.parse(body)
        await ack()
        try:
            action = deps.desk.resolve(click.user_id, click.value, "open_form", {"action": click.value[:100]})
        except DomainError as refusal:
            deps.tasks.spawn(tell(client, respond, click, refusal_text(refusal)), "respond")
            return
        deps.tasks.spawn(open_form(deps, client, click.user_id, click.trigger_id, action), "open-form")

    async def on_approve(ack: Ack, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        """Decide before acking: once Slack has its 200, the approval is already durable."""
        click = ButtonClick.parse(body)
        try:
            ref, step = _decision_target(click)
            await deps.service.decide(click.user_id, ref, step, Verdict.APPROVE)
        except DomainError as refusal:
            await ack()
            deps.tasks.spawn(tell(client, respond, click, refusal_text(refusal)), "respond")
            return
        await ack()

    async def on_reject(ack: Ack, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        click = ButtonClick.parse(body)
        await ack()
        deps.tasks.spawn(_ask_reason(click, client, respond), "reject-reason")

    async def _ask_reason(click: ButtonClick, client: AsyncWebClient, respond: AsyncRespond) -> None:
        try:
            ref, step = _decision_target(click)
            request = await deps.service.check_decidable(click.user_id, ref, step)
        except DomainError as refusal:
            await tell(client, respond, click, refusal_text(refusal))
            return
        await client.views_open(trigger_id=click.trigger_id, view=reject_reason_form(request.ref, step,
                                                                                     request.action_title))
        await deps.service.rejection_started(click.user_id, request, step)

    app.action(ids.OPEN_FORM)(on_open_form)
    app.action(ids.APPROVE)(on_approve)
    app.action(ids.REJECT)(on_reject)

