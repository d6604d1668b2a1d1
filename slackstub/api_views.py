"""views.open / views.push / views.update: modals, gated by trigger ids and Slack's view validation."""

from __future__ import annotations

from typing import Any

from slackstub.replies import Handler
from slackstub.triggers import TriggerBook
from slackstub.view_validation import validate_view
from slackstub.views import ViewStore


class ViewsApi:
    """The modal methods; they validate the view before spending the trigger."""

    def __init__(self, store: ViewStore, triggers: TriggerBook) -> None:
        self._store = store
        self._triggers = triggers

    def methods(self) -> dict[str, Handler]:
        """The Web API methods this class serves."""
        return {"views.open": self.open, "views.push": self.push, "views.update": self.update}

    def open(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.open: a new modal for the user whose interaction minted the trigger."""
        spec = validate_view(args.get("view"))
        trigger = self._triggers.redeem(str(args.get("trigger_id", "")))
        return {"view": self._store.open(spec, trigger.user_id)}

    def push(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.push: onto the modal the trigger came from, else the user's most recent modal."""
        spec = validate_view(args.get("view"))
        trigger = self._triggers.redeem(str(args.get("trigger_id", "")))
        base = trigger.view_id if self._store.is_open(trigger.view_id) else self._store.latest_for(trigger.user_id)
        return {"view": self._store.push(spec, base)}

    def update(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.update: by view_id or external_id, optionally guarded by the hash the app last saw."""
        spec = validate_view(args.get("view"))
        view = self._store.update(spec, args.get("view_id"), args.get("external_id"), args.get("hash"))
        return {"view": view}
