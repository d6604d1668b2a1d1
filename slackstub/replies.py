"""How a stand-in endpoint answers, so every failure is shaped exactly like Slack's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[dict[str, Any]], dict[str, Any]]
"""A Web API method: parsed arguments in, the success fields (without `ok`) out."""


@dataclass(frozen=True)
class Reply:
    """One HTTP answer: status, JSON body and extra headers (e.g. Retry-After)."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class SlackMethodError(Exception):
    """A failure Slack reports in the body: `{"ok": false, "error": ...}`, usually with HTTP 200."""

    def __init__(self, error: str, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra

    def reply(self) -> Reply:
        """The response Slack would send for this failure."""
        return Reply(self.status, {"ok": False, "error": self.error, **self.extra})


def invalid_arguments(messages: list[str]) -> SlackMethodError:
    """Slack's schema-validation failure, which lists its findings in response_metadata."""
    return SlackMethodError("invalid_arguments", response_metadata={"messages": messages})
