"""``/selfserve status [REQ-n]``, ``/selfserve mine`` and ``/selfserve pending``: answered
ephemerally from one domain call each (``domain.tracking``), dispatched by ``bot.handlers.commands``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot import ids
from bot.deps import Deps
from bot.messages import Message
from bot.messages.tracking import pending_list, plain, request_list, status_message
from bot.payloads import SlashCommand
from bot.refusals import refusal_text
from domain.errors import DomainError

NO_REQUESTS = f"You have no open requests. `{ids.COMMAND} mine` lists your recent ones."


def first_argument(command: SlashCommand) -> str:
    """The word after the subcommand (a request id), or ""."""
    words = command.arguments.split(maxsplit=1)
    return words[0] if words else ""


async def about_one(deps: Deps, command: SlashCommand, details: dict[str, Any], intro: str,
                    answer: Callable[[str], Awaitable[Message]]) -> Message:
    """``answer`` for the request named after the subcommand (a refusal in its words); with none
    named, the person's open requests under ``intro``."""
    ref = first_argument(command)
    if not ref:
        return request_list(await deps.tracker.open_requests(command.user_id, details), intro, NO_REQUESTS)
    try:
        return await answer(ref)
    except DomainError as refusal:
        return plain(refusal_text(refusal))


async def status(deps: Deps, command: SlashCommand, details: dict[str, Any]) -> Message:
    """One request in full, or without an id the person's open requests."""
    async def one(ref: str) -> Message:
        return status_message(await deps.tracker.status(command.user_id, ref, details), command.user_id)

    return await about_one(deps, command, details, "Your open requests, newest first:", one)


async def mine(deps: Deps, command: SlashCommand, details: dict[str, Any]) -> Message:
    """The person's latest requests in any state."""
    empty = f"You haven't made any requests yet. `{ids.COMMAND} help` shows what you can request."
    return request_list(await deps.tracker.mine(command.user_id, details), "Your latest requests, newest first:",
                        empty)


async def pending(deps: Deps, command: SlashCommand, details: dict[str, Any]) -> Message:
    """What waits on the person's decision, with its buttons."""
    return pending_list(await deps.tracker.pending(command.user_id, details))
