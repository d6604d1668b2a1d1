"""Who the bot is in the stand-in's workspace; every method that echoes these ids reads them here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AppIdentity:
    """The installed app: its token, team, bot user and ids, as auth.test reports them."""

    bot_token: str
    team_id: str
    bot_user_id: str
    bot_id: str
    app_id: str
    team_name: str
    team_domain: str
    bot_name: str

    @property
    def team_url(self) -> str:
        """The workspace URL auth.test returns."""
        return f"https://{self.team_domain}.slack.com/"
