"""The answer when some values typed after an action could not be filled into its form."""

from __future__ import annotations

from collections.abc import Sequence

from bot.mrkdwn import escape, truncate

SHOWN = 10


def prefill_problems(problems: Sequence[str]) -> str:
    """Each problem on its own line; the form opens anyway with the values that were fine."""
    lines = [f"• {escape(problem)}" for problem in problems[:SHOWN]]
    if len(problems) > SHOWN:
        lines.append(f"• …and {len(problems) - SHOWN} more")
    text = "Some values you typed could not be filled in; the form opens with the rest:\n" + "\n".join(lines)
    return truncate(text, 3000)
