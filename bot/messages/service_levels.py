"""How a request's service level reads: when its decision (or completion) is due, how much time is
left, or how long it is overdue. Time left is counted like the clock that set the due time (business
hours, when the catalog has them); the due time is shown in each reader's own time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from slack_sdk.models.blocks import Block, ContextBlock

from bot.messages.summary import md, when
from domain.service_levels import STEP, Standing


def span(amount: timedelta) -> str:
    """``2d 3h``, ``5h 20m``, ``12m``, ``under a minute``: the two largest units."""
    minutes = int(abs(amount).total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m" if mins else ""]
    shown = [part for part in parts if part][:2]
    return " ".join(shown) if shown else "under a minute"


def standing_line(level: Standing) -> str:
    what = "Decision" if level.scope == STEP else "Completion"
    if level.left > timedelta(0) and not level.breached:
        return f":stopwatch: {what} due {when(level.due_at)} ({span(level.left)} left)"
    late = f"overdue by {span(level.left)}" if level.left < timedelta(0) else "overdue"
    return f":rotating_light: {what} {late} (was due {when(level.due_at)})"


def service_level_text(levels: Sequence[Standing]) -> str:
    """One line per running clock, the step's first; empty without any."""
    return "\n".join(standing_line(level) for level in sorted(levels, key=lambda level: level.scope != STEP))


def service_level_block(levels: Sequence[Standing]) -> list[Block]:
    """A context line under a request's row (the Home tab); nothing without a clock."""
    text = service_level_text(levels)
    return [ContextBlock(elements=[md(text)])] if text else []
