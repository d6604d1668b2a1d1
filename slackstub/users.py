"""Workspace members as the stand-in models them, rendered in Slack's users.info shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class SlackUser:
    """A member of the stand-in's workspace."""

    id: str
    name: str
    real_name: str
    display_name: str
    deleted: bool = False
    is_bot: bool = False
    tz: str = "Europe/London"
    email: str | None = None

    def __post_init__(self) -> None:
        ZoneInfo(self.tz)  # fail when the user is added, not when the bot first asks about them

    def to_api(self, team_id: str) -> dict[str, Any]:
        """The `user` object users.info returns, with tz_offset computed for today like Slack does."""
        now = datetime.now(ZoneInfo(self.tz))
        offset = now.utcoffset()
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": now.tzname(),
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_bot": self.is_bot,
            "is_admin": False,
            "is_owner": False,
            "is_app_user": False,
            "profile": {
                "display_name": self.display_name,
                "display_name_normalized": self.display_name,
                "real_name": self.real_name,
                "real_name_normalized": self.real_name,
                "team": team_id,
                **({"email": self.email} if self.email else {}),
            },
        }
