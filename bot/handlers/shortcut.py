"""The global shortcut "Self-service": a picker modal of what the person may request, whose
Start buttons push the chosen action's form on top of it (views.push)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids
from bot.deps import Deps
from bot.handlers.shared import open_form, tell
from bot.modals.picker import picker
from bot.payloads import ButtonClick, GlobalShortcut
from bot.refusals import refusal_text
from domain.errors import DomainError

Ack = Callable[..., Awaitable[Any]]


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_shortcut(ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        shortcut = GlobalShortcut.parse(body)
        await ack()
        actions = deps.desk.help(shortcut.user_id, {"shortcut": shortcut.callback_id})
        deps.tasks.spawn(client.views_open(trigger_id=shortcut.trigger_id, view=picker(tuple(actions))), "picker")

    async def on_pick(ack: Ack, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        click = ButtonClick.parse(body)
        await ack()
        try:
            action = deps.desk.resolve(click.user_id, click.value, "open_form",
                                       {"action": click.value[:100], "via": "shortcut"})
        except DomainError as refusal:  # the catalog changed, or the button was tampered with
            deps.tasks.spawn(tell(client, respond, click, refusal_text(refusal)), "respond")
            return
        deps.tasks.spawn(open_form(deps, client, click.user_id, click.trigger_id, action, push=True), "open-form")

    app.shortcut(ids.SHORTCUT)(on_shortcut)
    app.action(ids.PICK_ACTION)(on_pick)
