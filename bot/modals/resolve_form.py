"""The modal that asks support staff for the resolution note (the requester sees it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import InputBlock, MarkdownTextObject, PlainTextInputElement, SectionBlock
from slack_sdk.models.views import View

from bot import ids
from bot.modals.reject_reason import submitted_text
from bot.mrkdwn import escape
from domain.escalation_desk import NOTE_LIMIT


def resolve_form(ref: str) -> View:
    """``private_metadata`` carries which escalation it resolves."""
    return View(
        type="modal", callback_id=ids.RESOLVE_FORM, title="Resolve escalation", submit="Resolve", close="Cancel",
        private_metadata=json.dumps({"escalation": ref}),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"Resolving *{escape(ref)}*", verbatim=True)),
            InputBlock(block_id=ids.RESOLVE_NOTE, label="Resolution note (the requester will see it)",
                       element=PlainTextInputElement(action_id=ids.RESOLVE_NOTE, multiline=True,
                                                     max_length=NOTE_LIMIT)),
        ],
    )


def submitted_note(view: Mapping[str, Any]) -> str:
    """The note, stripped; empty if missing or malformed."""
    return submitted_text(view, ids.RESOLVE_NOTE, ids.RESOLVE_NOTE, NOTE_LIMIT)
