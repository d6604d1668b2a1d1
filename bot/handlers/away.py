"""``/selfserve away @someone [until YYYY-MM-DD]`` and ``/selfserve away off``: while someone is
away, the approval steps that would ask them ask their stand-in instead."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.deps import Deps
from bot.messages import Message
from bot.mrkdwn import escape, user
from bot.payloads import SlashCommand
from bot.refusals import refusal_text
from domain.errors import DomainError

# Slack escapes a mention in a command's text as <@U123|name> (or <@U123>); a typed U123 works too.
# Ids are matched case-sensitively: a word like "ursula" or "Wally" is not someone's id.
_ARGUMENTS = re.compile(r"^(?:<@(?P<mention>[UW][A-Z0-9]{1,31})(?:\|[^>]*)?>|(?P<id>[UW][A-Z0-9]{1,31}))"
                        r"(?:\s+(?i:until)\s+(?P<until>\d{4}-\d{2}-\d{2}))?$")
USAGE = ("Say who answers for you while you are away: `/selfserve away @someone` (optionally "
         "`until 2026-12-31`), and `/selfserve away off` when you are back.")


def _text(text: str) -> Message:
    return Message(text=text, blocks=())


async def away(deps: Deps, command: SlashCommand, details: dict[str, Any]) -> Message:
    words = command.arguments.strip()
    if words.lower() in ("off", "back"):
        if await deps.delegation.back(command.user_id):
            return _text("Welcome back: your approvals come to you again.")
        return _text("You were not marked away.")
    match = _ARGUMENTS.match(words)
    if match is None:
        return _text(USAGE)
    stand_in = match.group("mention") or match.group("id") or ""
    until = None
    if match.group("until"):
        try:  # the whole day, in UTC (Slack does not tell us the person's time zone here)
            until = datetime.combine(date.fromisoformat(match.group("until")) + timedelta(days=1), time(), UTC)
        except ValueError:
            return _text(f"`{escape(match.group('until'))}` is not a date. {USAGE}")
    try:
        await deps.delegation.set_away(command.user_id, stand_in, until)
    except DomainError as refusal:
        return _text(refusal_text(refusal))
    when = f" until {until.date() - timedelta(days=1)}" if until else " until you say `/selfserve away off`"
    return _text(f"Got it: while you are away{when}, {user(stand_in)} decides the approvals that would ask you.")
