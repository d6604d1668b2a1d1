"""views.publish: each member's App Home tab, as the bot last published it.

Like Slack, a member has one Home view per app: its id stays the same across publishes, its hash
changes with each, and a publish that names an older hash is refused (hash_conflict). Only members
of the workspace have a Home tab (user_not_found otherwise).
"""

from __future__ import annotations

import copy
from typing import Any

from slackstub.identity import AppIdentity
from slackstub.ids import stable_id, view_hash
from slackstub.replies import Handler, SlackMethodError
from slackstub.view_validation import validate_home_view
from slackstub.workspace import Workspace

View = dict[str, Any]
_DEFAULTS: View = {"private_metadata": "", "callback_id": "", "external_id": "", "title": None, "close": None,
                   "submit": None, "clear_on_close": False, "notify_on_close": False}


class HomeTabs:
    """The Home view of each member who has one, by user id."""

    def __init__(self, identity: AppIdentity, workspace: Workspace) -> None:
        self._identity = identity
        self._ws = workspace
        self._homes: dict[str, View] = {}

    def methods(self) -> dict[str, Handler]:
        """The Web API methods this class serves."""
        return {"views.publish": self.publish}

    def publish(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.publish: replace `user_id`'s Home view (validated like Slack does, before anything changes)."""
        user = self._ws.user(str(args.get("user_id", "")))
        spec = validate_home_view(args.get("view"))
        current = self._homes.get(user.id)
        expected = args.get("hash")
        if expected and current is not None and expected != current["hash"]:
            raise SlackMethodError("hash_conflict")
        view_id = stable_id("V", f"home:{user.id}")
        ident = self._identity
        view = {**_DEFAULTS, **spec, "id": view_id, "team_id": ident.team_id, "state": {"values": {}},
                "hash": view_hash(), "previous_view_id": None, "root_view_id": view_id, "app_id": ident.app_id,
                "app_installed_team_id": ident.team_id, "bot_id": ident.bot_id}
        self._homes[user.id] = view
        return {"view": copy.deepcopy(view)}

    def home(self, user_id: str) -> View | None:
        """A copy of the member's Home view as last published (None if none was)."""
        view = self._homes.get(user_id)
        return copy.deepcopy(view) if view is not None else None

    def by_id(self, view_id: str) -> tuple[str, View] | None:
        """The member whose Home view has `view_id`, and a copy of it."""
        for user_id, view in self._homes.items():
            if view["id"] == view_id:
                return user_id, copy.deepcopy(view)
        return None
