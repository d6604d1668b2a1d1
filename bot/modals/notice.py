"""A modal that only says something: the answer to a click that has no message to answer under
(a button in the Home tab or in a modal has no response_url)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot import ids
from bot.mrkdwn import truncate

TITLE_LIMIT = 24


def notice(title: str, text: str) -> dict[str, Any]:
    """``text`` is mrkdwn that escapes what it quotes (as refusal texts do)."""
    return View(type="modal", callback_id=ids.NOTICE, title=truncate(title, TITLE_LIMIT), close="Close",
                blocks=[SectionBlock(text=MarkdownTextObject(text=truncate(text, 3000), verbatim=True))]).to_dict()
