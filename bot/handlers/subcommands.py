"""The ``/selfserve`` subcommands that follow requests, by their word; each answers ephemerally."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.deps import Deps
from bot.handlers import admin, away, cancellation, escalations, feedback, stats, tracking
from bot.messages import Message
from bot.payloads import SlashCommand

Subcommand = Callable[[Deps, SlashCommand, dict[str, Any]], Awaitable[Message]]

SUBCOMMANDS: dict[str, Subcommand] = {
    "status": tracking.status,
    "mine": tracking.mine,
    "pending": tracking.pending,
    "cancel": cancellation.cancel,
    "away": away.away,
    "admin": admin.admin,
    "feedback": feedback.feedback,
    "stats": stats.stats,
    "escalate": escalations.escalate,
    "help-me": escalations.help_me,
    "queue": escalations.queue,
}
