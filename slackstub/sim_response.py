"""What the app answered Slack, and whether Slack would act on that answer."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ACK_DEADLINE = 3.0
"""Seconds Slack waits for an ack; a later ack is ignored (the user sees an error)."""


@dataclass(frozen=True)
class SimResponse:
    """The app's HTTP answer to one request from Slack."""

    status: int
    text: str
    headers: Mapping[str, str]
    """Case-insensitive, like HTTP headers."""
    elapsed: float

    def json(self) -> Any:
        """The parsed body; None for an empty ack (ValueError if not JSON)."""
        return json.loads(self.text) if self.text.strip() else None

    def acted_on(self) -> tuple[bool, Any]:
        """(whether Slack acts on this ack, its JSON body or None); late, failed or non-JSON acks are ignored."""
        if self.status != 200 or self.elapsed > ACK_DEADLINE:
            return False, None
        try:
            return True, self.json()
        except ValueError:
            return False, None
