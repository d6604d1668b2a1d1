"""auth.test, conversations.open, users.info and usergroups.users.list: what the bot learns about itself
and the people it serves."""

from __future__ import annotations

from typing import Any

from slackstub.identity import AppIdentity
from slackstub.replies import Handler, SlackMethodError
from slackstub.workspace import Workspace


class WorkspaceApi:
    """Identity, DM opening and user lookup."""

    def __init__(self, identity: AppIdentity, workspace: Workspace) -> None:
        self._identity = identity
        self._ws = workspace

    def methods(self) -> dict[str, Handler]:
        """The Web API methods this class serves."""
        return {
            "auth.test": self.auth_test,
            "conversations.open": self.conversations_open,
            "users.info": self.users_info,
            "usergroups.users.list": self.usergroup_users,
        }

    def auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        """auth.test: Bolt calls this once to learn its bot user and bot ids."""
        ident = self._identity
        return {
            "url": ident.team_url,
            "team": ident.team_name,
            "user": ident.bot_name,
            "team_id": ident.team_id,
            "user_id": ident.bot_user_id,
            "bot_id": ident.bot_id,
            "is_enterprise_install": False,
        }

    def conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """conversations.open: `users` (comma-separated) opens a DM or group DM; `channel` reopens one."""
        channel = args.get("channel")
        if channel:
            return {"channel": {"id": self._ws.resolve_channel(str(channel), allow_user=False)}}
        users = [user for user in str(args.get("users", "")).split(",") if user]
        if not users:
            raise SlackMethodError("users_list_not_supplied")
        return {"channel": {"id": self._ws.open_conversation(users)}}

    def usergroup_users(self, args: dict[str, Any]) -> dict[str, Any]:
        """usergroups.users.list: a user group's members (no_such_subteam for an unknown group)."""
        group = str(args.get("usergroup", ""))
        if group not in self._ws.usergroups:
            raise SlackMethodError("no_such_subteam")
        return {"users": list(self._ws.usergroups[group])}

    def users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        """users.info: the member's profile (deleted members are still returned, flagged, like Slack)."""
        return {"user": self._ws.user(str(args.get("user", ""))).to_api(self._identity.team_id)}
