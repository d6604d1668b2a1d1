"""The shared picture of a request: who asked for what, with which answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

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


def answer_sections(answers: Sequence[Answer]) -> list[Block]:
    """The answers as section fields, ten to a section."""
    return [
        SectionBlock(fields=[md(answer_text(a)) for a in answers[start:start + FIELDS_PER_SECTION]])
        for start in range(0, len(answers), FIELDS_PER_SECTION)
    ]


def step_name(request: RequestRecord, step: int) -> str:
    """``step 1 of 2 (hr)``; steps are 0-based inside, 1-based for people."""
    return f"step {step + 1} of {len(request.steps)} ({escape(request.steps[step].role)})"


def headline(request: RequestRecord) -> str:
    return f"*{escape(request.ref)}* · {escape(request.action_title)} · requested by {user(request.requester_id)}"


def waiting_on(step: Step) -> str:
    count = f"{step.min_approvals} approvals" if step.min_approvals > 1 else "approval"
    return f"{count} from *{escape(step.role)}*"
