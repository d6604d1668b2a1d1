"""The small modal that asks an approver why they reject."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import InputBlock, MarkdownTextObject, PlainTextInputElement, SectionBlock
from slack_sdk.models.views import View

from bot import ids
from bot.mrkdwn import escape, truncate

REASON_LIMIT = 1000


def reject_reason_form(ref: str, step: int, title: str) -> View:
    """Ask for the reason; ``private_metadata`` carries which request and step it decides."""
    return View(
        type="modal",
        callback_id=ids.REJECT_REASON,
        title="Reject request",
        submit="Reject",
        close="Cancel",
        private_metadata=json.dumps({"request": ref, "step": step}),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"Rejecting *{escape(ref)}* · {escape(truncate(title, 200))}",
                                                 verbatim=True)),
            InputBlock(
                block_id=ids.REJECT_REASON_BLOCK,
                label="Reason (the requester will see it)",
                element=PlainTextInputElement(action_id=ids.REJECT_REASON_INPUT, multiline=True,
                                              max_length=REASON_LIMIT),
            ),
        ],
    )


def submitted_reason(view: Mapping[str, Any]) -> str:
    """The reason text, stripped; empty if missing or malformed."""
    return submitted_text(view, ids.REJECT_REASON_BLOCK, ids.REJECT_REASON_INPUT, REASON_LIMIT)


def submitted_text(view: Mapping[str, Any], block_id: str, action_id: str, limit: int) -> str:
    """A text input's value in a submitted modal, stripped and cut to ``limit``; empty if missing or malformed."""
    try:
        value = view["state"]["values"][block_id][action_id]["value"]
    except (KeyError, TypeError):
        return ""
    return value.strip()[:limit] if isinstance(value, str) else ""
