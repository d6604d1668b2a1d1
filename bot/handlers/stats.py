"""``/selfserve stats [action] [--days N]`` (admin role), dispatched by ``bot.handlers.commands``."""

from __future__ import annotations

import re
from typing import Any

from bot import ids
from bot.deps import Deps
from bot.messages import Message
from bot.messages.stats import stats_action, stats_overview
from bot.mrkdwn import escape
from bot.payloads import SlashCommand
from bot.refusals import refusal_text
from domain.analytics import MAX_DAYS
from domain.errors import DomainError
from domain.records import AuditEntry

_ARGUMENTS = re.compile(r"^(?P<action>[a-z][a-z0-9-]*)?\s*(?:--days[ =](?P<days>\d{1,4}))?$")
USAGE = f"`{ids.COMMAND} stats [action] [--days N]` (N from 1 to {MAX_DAYS}, 30 when left out)."


async def stats(deps: Deps, command: SlashCommand, details: dict[str, Any]) -> Message:
    match = _ARGUMENTS.match(command.arguments.strip().lower())
    days = int(match.group("days") or 30) if match else 0
    if match is None or not 1 <= days <= MAX_DAYS:
        return Message(text=USAGE, blocks=())
    action_id = match.group("action")
    try:
        await deps.admin.ensure_admin(command.user_id, "stats")
    except DomainError as refusal:
        return Message(text=refusal_text(refusal), blocks=())
    report = await deps.analytics.report(days)
    await deps.service.audit(AuditEntry("stats", "ok", command.user_id, None, {"action": action_id, "days": days}))
    if action_id is None:
        return stats_overview(report)
    figures = report.action(action_id)
    if figures is None:
        return Message(text=f"There is no action called `{escape(action_id)}`. {USAGE}", blocks=())
    return stats_action(report, figures)
