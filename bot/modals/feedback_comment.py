"""The optional comment after a 👍 or 👎: closing it without a word is fine."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, SectionBlock
from slack_sdk.models.views import View

from bot import ids
from bot.messages.summary import md
from bot.mrkdwn import escape
from domain.feedback import COMMENT_LIMIT


def feedback_comment_form(ref: str, thumbs: str) -> View:
    """``private_metadata`` names the request the comment is about."""
    return View(
        type="modal",
        callback_id=ids.FEEDBACK_COMMENT,
        title="Thanks!",
        submit="Send",
        close="Skip",
        private_metadata=json.dumps({"request": ref}),
        blocks=[
            SectionBlock(text=md(f"You answered {thumbs} for *{escape(ref)}*. Anything to add? (optional)")),
            InputBlock(block_id=ids.FEEDBACK_COMMENT_BLOCK, label="Comment", optional=True,
                       element=PlainTextInputElement(action_id=ids.FEEDBACK_COMMENT_INPUT, multiline=True,
                                                     max_length=COMMENT_LIMIT)),
        ],
    )


def submitted_comment(view: Mapping[str, Any]) -> str:
    """The comment typed, or "" when none (or malformed)."""
    try:
        value = view["state"]["values"][ids.FEEDBACK_COMMENT_BLOCK][ids.FEEDBACK_COMMENT_INPUT]["value"]
    except (KeyError, TypeError):
        return ""
    return value if isinstance(value, str) else ""
