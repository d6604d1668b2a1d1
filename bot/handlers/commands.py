"""``/selfserve``: help, open an action's form, or suggest actions for plain words; the
subcommands that follow requests (``bot.handlers.subcommands``); and the "Get help" button under
those suggestions."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids
from bot.deps import Deps
from bot.handlers.escalations import help_with_words
from bot.handlers.shared import open_form
from bot.handlers.subcommands import SUBCOMMANDS
from bot.messages.help import help_message
from bot.messages.prefill import prefill_problems
from bot.messages.suggestions import help_requested_text, suggestions_message
from bot.payloads import ButtonClick, SlashCommand
from bot.refusals import refusal_text
from domain.catalog import RESERVED_SUBCOMMANDS
from domain.errors import DomainError
from domain.matching import ActionFinder, Suggestions
from domain.prefill import parse_prefill

HELP_WORDS = frozenset({"", "help", "list"})
ANY_COMMAND = re.compile(r"^/.+")  # operators may name the command as they like

Ack = Callable[..., Awaitable[Any]]


def register(app: AsyncApp, deps: Deps) -> None:
    finder = ActionFinder(deps.desk, lambda: deps.service.catalog, deps.service.audit,
                          lambda work: deps.tasks.spawn(work, "audit"))

    async def on_command(ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        command = SlashCommand.parse(body)
        name = command.subcommand
        details = {"text": command.text[:200], "channel": command.channel_id}
        if name in HELP_WORDS:
            actions = tuple(deps.desk.help(command.user_id, details))
            message = help_message(actions, tuple(deps.proof.line(a.id) for a in actions))
            await ack(response_type="ephemeral", text=message.text, blocks=message.blocks_json())
            return
        if name in SUBCOMMANDS:
            message = await SUBCOMMANDS[name](deps, command, details)
            await ack(response_type="ephemeral", text=message.text, blocks=message.blocks_json())
            return
        if name in RESERVED_SUBCOMMANDS:
            deps.desk.unavailable(command.user_id, details)
            await ack(response_type="ephemeral", text=f"`{name}` is not available in this version yet.")
            return
        try:
            found = await finder.lookup(command.user_id, command.text, details)
        except DomainError as refusal:
            await ack(response_type="ephemeral", text=refusal_text(refusal))
            return
        if isinstance(found, Suggestions):
            message = suggestions_message(found)
            await ack(response_type="ephemeral", text=message.text, blocks=message.blocks_json())
            return
        prefilled, problems = parse_prefill(found, command.arguments)
        if problems:  # the form still opens, with the values that were fine
            await ack(response_type="ephemeral", text=prefill_problems(problems))
        else:
            await ack()
        deps.tasks.spawn(open_form(deps, client, command.user_id, command.trigger_id, found, prefilled),
                         "open-form")

    async def on_get_help(ack: Ack, body: dict[str, Any], respond: AsyncRespond) -> None:
        """The words typed go to support as a question (stored before the ack)."""
        click = ButtonClick.parse(body)
        channel = finder.help_requested(click.user_id, click.value)
        answer = await help_with_words(deps, click.user_id, click.value) if channel else help_requested_text()
        await ack()
        deps.tasks.spawn(respond(text=answer, response_type="ephemeral", replace_original=False), "respond")

    app.command(ANY_COMMAND)(on_command)
    app.action(ids.GET_HELP)(on_get_help)
