"""The modal an approver fills to hand a step to someone else."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.mrkdwn import escape, truncate
from domain.delegation import NOTE_LIMIT


def delegate_form(ref: str, step: int, title: str) -> View:
    """Whom to hand the step to, and an optional note; ``private_metadata`` names the step."""
    return View(
        type="modal",
        callback_id=ids.DELEGATE_FORM,
        title="Hand over",
        submit="Hand over",
        close="Cancel",
        private_metadata=json.dumps({"request": ref, "step": step}),
        blocks=[
            SectionBlock(text=MarkdownTextObject(
                text=f"Who should decide *{escape(ref)}* · {escape(truncate(title, 200))} instead of you?",
                verbatim=True)),
            InputBlock(block_id=ids.DELEGATE_TO, label="Hand it to",
                       element=UserSelectElement(action_id=ids.DELEGATE_TO, placeholder="Choose someone…")),
            InputBlock(block_id=ids.DELEGATE_NOTE, label="Note for them", optional=True,
                       element=PlainTextInputElement(action_id=ids.DELEGATE_NOTE, multiline=True,
                                                     max_length=NOTE_LIMIT)),
        ],
    )


def submitted_delegation(view: Mapping[str, Any]) -> tuple[str, str]:
    """(the person picked, the note); empty strings for what is missing or malformed."""
    values = view.get("state", {}).get("values", {}) if isinstance(view.get("state"), Mapping) else {}

    def entry(block: str) -> Mapping[str, Any]:
        found = values.get(block, {}).get(block) if isinstance(values.get(block), Mapping) else None
        return found if isinstance(found, Mapping) else {}

    picked, note = entry(ids.DELEGATE_TO).get("selected_user"), entry(ids.DELEGATE_NOTE).get("value")
    return (picked if isinstance(picked, str) else ""), (note.strip() if isinstance(note, str) else "")
