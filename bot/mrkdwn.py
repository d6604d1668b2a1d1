"""Escaping user text for Slack's mrkdwn.

Slack treats only ``&``, ``<`` and ``>`` as control characters; escaping them turns
``<!channel>`` or ``<https://evil|bank>`` into inert text. Objects carrying user text are
also sent ``verbatim`` so Slack does not auto-link bare names and URLs.
"""

from __future__ import annotations

from domain.routing import AUTO_APPROVER

_TABLE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(text: object) -> str:
    """``text`` as literal mrkdwn."""
    return str(text).translate(_TABLE)


def unescape(text: str) -> str:
    """Slack's escaped text (``&amp;`` ``&lt;`` ``&gt;``) back to the characters typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut (Slack rejects longer texts)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def user(user_id: str) -> str:
    """A mention of a Slack user id we stored ourselves (never of user-typed text); a step its
    rule approved shows as approved automatically."""
    if user_id == AUTO_APPROVER:
        return "_an automatic rule_"
    return f"<@{escape(user_id)}>"
