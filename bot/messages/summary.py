"""The shared picture of a request: who asked for what, with which answers."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.mrkdwn import escape, truncate, user
from domain.records import Answer, RequestRecord, Step

FIELDS_PER_SECTION = 10  # Slack's limit on section fields
FIELD_TEXT_LIMIT = 2000  # Slack's limit on one field's text


def md(text: str) -> MarkdownTextObject:
    """mrkdwn that Slack shows as written (no auto-linking of names or URLs)."""
    return MarkdownTextObject(text=text, verbatim=True)


def answer_text(answer: Answer) -> str:
    value = "—" if answer.value in (None, "") else escape(answer.value)
    return truncate(f"*{escape(answer.label)}*\n{value}", FIELD_TEXT_LIMIT)


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
