"""The shared picture of a request: who asked for what, with which answers."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.mrkdwn import escape, truncate, user
from domain.records import Answer, RequestRecord, Step

FIELDS_PER_SECTION = 10  # Slack's limit on section fields
FIELD_TEXT_LIMIT = 2000  # Slack's limit on one field's text


def md(text: str) -> MarkdownTextObject:
    """mrkdwn that Slack shows as written (no auto-linking of names or URLs)."""
    return MarkdownTextObject(text=text, verbatim=True)


def answer_value(answer: Answer) -> str:
    """An answer as mrkdwn: people and channels as mentions, times in each reader's zone."""
    value = answer.value
    if value is None or value == "" or value == []:
        return "—"
    if answer.kind == "checkbox":
        return "Yes" if value is True else "No"
    if answer.shown is not None:
        return escape(answer.shown)
    items = value if isinstance(value, list) else [value]
    if answer.kind in ("user", "users"):
        return ", ".join(user(str(item)) for item in items)
    if answer.kind == "channel":
        return ", ".join(f"<#{escape(item)}>" for item in items)
    if answer.kind == "datetime" and isinstance(value, str):
        return _local_time(value)
    return escape(", ".join(str(item) for item in items))


def _local_time(iso: str) -> str:
    """Slack's date token: each reader sees the moment in their own time zone."""
    try:
        epoch = int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return escape(iso)
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{escape(iso)}>"


def answer_text(answer: Answer) -> str:
    return truncate(f"*{escape(answer.label)}*\n{answer_value(answer)}", FIELD_TEXT_LIMIT)


class Rendered(Block):
    """A block serialised (and so validated) before: ``to_dict`` gives it back as it was."""

    def __init__(self, rendered: dict[str, Any]) -> None:
        super().__init__(type=rendered["type"], block_id=rendered.get("block_id"))
        self._rendered = rendered

    def to_dict(self) -> dict[str, Any]:
        return self._rendered


_SECTIONS: OrderedDict[str, tuple[dict[str, Any], ...]] = OrderedDict()
RENDERED_SUMMARIES = 2000
"""Requests' answer sections kept serialised: a request's answers never change, and every message
about it (approval DMs, receipt, updates, their redraws) shows them; Block Kit validation of the
fields was the largest part of drawing each of those messages."""


def answer_sections(answers: Sequence[Answer]) -> list[Block]:
    """The answers as section fields, ten to a section."""
    key = json.dumps([(a.label, a.value, a.kind, a.shown) for a in answers], default=str)
    rendered = _SECTIONS.get(key)
    if rendered is None:
        rendered = _SECTIONS[key] = tuple(
            SectionBlock(fields=[md(answer_text(a)) for a in answers[start:start + FIELDS_PER_SECTION]]).to_dict()
            for start in range(0, len(answers), FIELDS_PER_SECTION))
        if len(_SECTIONS) > RENDERED_SUMMARIES:
            _SECTIONS.popitem(last=False)
    return [Rendered(block) for block in rendered]


def step_name(request: RequestRecord, step: int) -> str:
    """``step 1 of 2 (hr)``; steps are 0-based inside, 1-based for people."""
    return f"step {step + 1} of {len(request.steps)} ({escape(request.steps[step].role)})"


def headline(request: RequestRecord) -> str:
    return f"*{escape(request.ref)}* · {escape(request.action_title)} · requested by {user(request.requester_id)}"


def waiting_on(step: Step) -> str:
    count = f"{step.min_approvals} approvals" if step.min_approvals > 1 else "approval"
    return f"{count} from *{escape(step.role)}*"


def when(moment: datetime) -> str:
    """A moment in each reader's own time zone (Slack's date token; the fallback is UTC)."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"
