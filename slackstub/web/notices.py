"""What the page shows beside the workspace: a blocking problem list, and short-lived news."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

NEWS_SECONDS = 8.0


@dataclass
class Notices:
    """Set by whoever runs the client (the playground: the catalog's problems); `changed` redraws the page."""

    intro: str = ""
    """Shown at the top of the app's Messages tab: how to start (may hold mrkdwn)."""
    problems_title: str = ""
    problems: tuple[str, ...] = ()
    news: str = ""
    news_at: float = 0.0
    listeners: list[Callable[[], None]] = field(default_factory=list)

    def show_problems(self, title: str, lines: list[str]) -> None:
        """Cover the workspace with `title` and `lines` (each shown as typed) until cleared."""
        self.problems_title, self.problems = title, tuple(lines)
        self._changed()

    def clear_problems(self, news: str = "") -> None:
        """Uncover the workspace; `news` is shown briefly."""
        self.problems_title, self.problems = "", ()
        self.news, self.news_at = news, time.monotonic()
        self._changed()

    def as_json(self) -> dict[str, Any]:
        fresh = self.news and time.monotonic() - self.news_at < NEWS_SECONDS
        return {"intro": self.intro, "problems_title": self.problems_title, "problems": list(self.problems),
                "news": self.news if fresh else ""}

    def _changed(self) -> None:
        for listener in self.listeners:
            listener()
