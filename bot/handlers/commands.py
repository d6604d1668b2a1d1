"""``/selfserve``: help, or open an action's form."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.handlers.shared import open_form
from bot.messages.help import help_message
from bot.payloads import SlashCommand
from bot.refusals import refusal_text
from domain.catalog import RESERVED_SUBCOMMANDS
from domain.errors import DomainError

HELP_WORDS = frozenset({"", "help", "list"})
ANY_COMMAND = re.compile(r"^/.+")  # operators may name the command as they like


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_command(ack: Callable[..., Awaitable[Any]], body: dict[str, Any], client: AsyncWebClient) -> None:
        command = SlashCommand.parse(body)
        name = command.subcommand
        details = {"text": command.text[:200], "channel": command.channel_id}
        if name in HELP_WORDS:
            message = help_message(tuple(deps.desk.help(command.user_id, details)))
            await ack(response_type="ephemeral", text=message.text, blocks=message.blocks_json())
            return
        if name in RESERVED_SUBCOMMANDS:
            deps.desk.unavailable(command.user_id, details)
            await ack(response_type="ephemeral", text=f"`{name}` is not available in this version yet.")
            return
        try:
            action = deps.desk.resolve(command.user_id, name, "command", details)
        except DomainError as refusal:
            await ack(response_type="ephemeral", text=refusal_text(refusal))
            return
        await ack()
        deps.tasks.spawn(open_form(deps, client, command.user_id, command.trigger_id, action), "open-form")

    app.command(ANY_COMMAND)(on_command)
