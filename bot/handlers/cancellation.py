"""Cancelling one's own request: ``/selfserve cancel REQ-n`` (dispatched by
``bot.handlers.commands``) and the Cancel button on the receipt, in lists and in the Home tab.

The cancellation is stored before the click is acked, so a 200 means it is durable; the DMs,
receipt and Home tabs are redrawn by jobs (``domain.surfaces``).
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
from bot.handlers.tracking import about_one
from bot.messages import Message
from bot.messages.tracking import cancelled_text, plain
from bot.payloads import ButtonClick, SlashCommand
from bot.refusals import refusal_text
from domain.errors import DomainError

Ack = Callable[..., Awaitable[Any]]


async def cancel(deps: Deps, command: SlashCommand, details: dict[str, Any]) -> Message:
    """Cancel the request named; without an id, the open requests to pick from (each with Cancel)."""
    async def one(ref: str) -> Message:
        return plain(cancelled_text(await deps.canceller.cancel(command.user_id, ref, details)))

    return await about_one(deps, command, details, "Which one? Your open requests:", one)


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_cancel(ack: Ack, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        click = ButtonClick.parse(body)
        try:
            request = await deps.canceller.cancel(click.user_id, click.value, {"via": "button"})
        except DomainError as refusal:
            answer = refusal_text(refusal)
        else:
            answer = cancelled_text(request)
        await ack()
        deps.tasks.spawn(tell(client, respond, click, answer), "respond")

    app.action(ids.CANCEL)(on_cancel)
