"""Fulfilment buttons: Retry step (support, on the alert), End access now and Extend… (the
requester, on the receipt and the heads-up). Each change is stored before the click is acked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids
from bot.deps import Deps
from bot.handlers.shared import open_form, tell
from bot.mrkdwn import escape, user
from bot.payloads import ButtonClick, MalformedPayload
from bot.refusals import refusal_text
from domain.errors import DomainError

Ack = Callable[..., Awaitable[Any]]


def register(app: AsyncApp, deps: Deps) -> None:
    async def answered(ack: Ack, client: AsyncWebClient, respond: AsyncRespond, click: ButtonClick,
                       change: Callable[[], Awaitable[str]]) -> None:
        """Make the change (before the ack: a 200 means it is stored), then say how it went."""
        try:
            answer = await change()
        except DomainError as refusal:
            answer = refusal_text(refusal)
        await ack()
        deps.tasks.spawn(tell(client, respond, click, answer), "respond")

    async def on_retry(ack: Ack, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        click = ButtonClick.parse(body)
        ref, phase, index = _step_value(click.value)

        async def retry() -> str:
            request = await deps.fulfilment.retry(click.user_id, ref, phase, index)
            return f"Step {index + 1} of {escape(request.ref)} runs again; {user(click.user_id)} retried it."

        await answered(ack, client, respond, click, retry)

    async def on_end(ack: Ack, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        click = ButtonClick.parse(body)

        async def end() -> str:
            request = await deps.fulfilment.end_access(click.user_id, click.value)
            return f"Ending your access from {escape(request.ref)} now; you'll get a message when it's done."

        await answered(ack, client, respond, click, end)

    async def on_extend(ack: Ack, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        click = ButtonClick.parse(body)
        try:
            action, values = await deps.fulfilment.extension(click.user_id, click.value)
        except DomainError as refusal:
            await ack()
            deps.tasks.spawn(tell(client, respond, click, refusal_text(refusal)), "respond")
            return
        await ack()
        deps.tasks.spawn(open_form(deps, client, click.user_id, click.trigger_id, action, values), "open-form")

    app.action(ids.RETRY_STEP)(on_retry)
    app.action(ids.END_ACCESS)(on_end)
    app.action(ids.EXTEND_ACCESS)(on_extend)


def _step_value(value: str) -> tuple[str, str, int]:
    """``REQ-n:phase:index`` from a Retry button."""
    ref, _, rest = value.partition(":")
    phase, _, index = rest.partition(":")
    if not index.isdigit():
        raise MalformedPayload("retry value")
    return ref, phase, int(index)
