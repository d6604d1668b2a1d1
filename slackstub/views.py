"""Open modals and their stacks: the single record of what each user is looking at."""

from __future__ import annotations

import copy
from typing import Any

from slackstub.identity import AppIdentity
from slackstub.ids import slack_id, view_hash
from slackstub.replies import SlackMethodError, invalid_arguments
from slackstub.view_state import StateValues, carried_state, initial_state, input_blocks
from slackstub.view_validation import validate_view

View = dict[str, Any]
MAX_STACK = 3
_DEFAULTS: View = {
    "private_metadata": "",
    "callback_id": "",
    "external_id": "",
    "clear_on_close": False,
    "notify_on_close": False,
    "close": None,
    "submit": None,
}


class ViewStore:
    """Views by id (closed ones kept apart), who each was opened for, and stacks at most 3 deep, like Slack.

    Each view also has what its user entered in its inputs (state.values), kept across views.update like
    Slack's client does, and after the view closes (a double-clicked Submit sends it again).
    """

    def __init__(self, identity: AppIdentity) -> None:
        self._identity = identity
        self._views: dict[str, View] = {}
        self._closed: dict[str, View] = {}
        self._owners: dict[str, str] = {}
        self._stacks: dict[str, list[str]] = {}
        self._entered: dict[str, StateValues] = {}
        self._errors: dict[str, dict[str, str]] = {}
        """Inline errors the app's last view_submission ack put under a view's inputs (response_action errors)."""

    def snapshot(self) -> dict[str, View]:
        """A copy of every open view, by id."""
        return copy.deepcopy(self._views)

    def is_open(self, view_id: str | None) -> bool:
        """Whether `view_id` names a view that is currently open."""
        return view_id in self._views

    def known(self, view_id: str) -> View | None:
        """A copy of the last version of a view the bot opened, open or since closed."""
        view = self._views.get(view_id) or self._closed.get(view_id)
        return copy.deepcopy(view) if view is not None else None

    def owner(self, view_id: str) -> str:
        """The user a view (open or closed) was opened for."""
        return self._owners[view_id]

    def entered(self, view_id: str) -> StateValues:
        """A copy of what is entered in the view's inputs now (KeyError for a view never opened)."""
        return copy.deepcopy(self._entered[view_id])

    def enter(self, view_id: str, entries: StateValues) -> None:
        """The user changed inputs of an open view: `entries` replace those blocks' state entries."""
        if view_id not in self._views:
            raise LookupError(f"view {view_id} is not open")
        inputs = {block["block_id"]: block["element"].get("action_id") for block in input_blocks(self._views[view_id])}
        for block_id, entry in entries.items():
            if list(entry) != [inputs.get(block_id)]:
                raise LookupError(f"view {view_id} has no input {block_id}/{list(entry)}; inputs: {inputs}")
        self._entered[view_id].update(copy.deepcopy(entries))

    def errors(self, view_id: str) -> dict[str, str]:
        """The inline errors shown under the view's inputs now, by block_id (gone once the view changes)."""
        return dict(self._errors.get(view_id, {}))

    def stacks_of(self, user_id: str) -> list[list[View]]:
        """Copies of the user's open stacks, oldest first, each bottom view first."""
        return [[copy.deepcopy(self._views[view_id]) for view_id in stack]
                for root, stack in self._stacks.items() if self._owners[root] == user_id]

    def latest_for(self, user_id: str) -> str | None:
        """The top view of the user's most recently opened stack, if any."""
        for root, stack in reversed(self._stacks.items()):
            if self._owners[root] == user_id:
                return stack[-1]
        return None

    def open(self, spec: View, user_id: str) -> View:
        """views.open: a new root view and stack."""
        self._check_external_id(spec, None)
        view = self._materialize(spec, slack_id("V"), root=None, previous=None)
        self._stacks[view["id"]] = [view["id"]]
        return self._keep(view, user_id, initial_state(view))

    def push(self, spec: View, base_view_id: str | None) -> View:
        """views.push: onto the stack holding `base_view_id`; Slack refuses a fourth view."""
        if base_view_id is None or not self.is_open(base_view_id):
            raise invalid_arguments(["[ERROR] views.push needs a trigger from a user with an open modal"])
        stack = self._stacks[self._views[base_view_id]["root_view_id"]]
        if len(stack) >= MAX_STACK:
            raise SlackMethodError("push_limit_reached")
        self._check_external_id(spec, None)
        view = self._materialize(spec, slack_id("V"), root=stack[0], previous=stack[-1])
        stack.append(view["id"])
        return self._keep(view, self._owners[base_view_id], initial_state(view))

    def update(self, spec: View, view_id: str | None, external_id: str | None, expected_hash: str | None) -> View:
        """views.update: same id, stack position and (unless given) external_id; a stale hash is a hash_conflict."""
        target = self._locate(view_id, external_id)
        current = self._views[target]
        if expected_hash and expected_hash != current["hash"]:
            raise SlackMethodError("hash_conflict")
        spec = {"external_id": current["external_id"], **spec}
        self._check_external_id(spec, target)
        view = self._materialize(spec, target, root=current["root_view_id"], previous=current["previous_view_id"])
        return self._keep(view, self._owners[target], carried_state(self._entered[target], view))

    def close(self, view_id: str, clear: bool = False) -> None:
        """Close a view and any pushed above it; `clear` closes its whole stack."""
        if view_id not in self._views:
            return
        root = self._views[view_id]["root_view_id"]
        stack = self._stacks[root]
        cut = 0 if clear else stack.index(view_id)
        for closed in stack[cut:]:
            self._closed[closed] = self._views.pop(closed)
        del stack[cut:]
        if not stack:
            del self._stacks[root]

    def apply_ack(self, view_id: str, ack: dict[str, Any] | None) -> None:
        """What Slack's client does with the app's view_submission ack (invalid acks raise, as Slack rejects them)."""
        ack = ack or {}
        action = ack.get("response_action")
        self._errors.pop(view_id, None)
        if action is None or action == "clear":
            self.close(view_id, clear=action == "clear")
        elif action == "update":
            self.update(validate_view(ack.get("view")), view_id, None, None)
        elif action == "push":
            self.push(validate_view(ack.get("view")), view_id)
        elif action == "errors":
            self._check_error_keys(view_id, ack.get("errors"))
            self._errors[view_id] = {str(key): str(text) for key, text in ack["errors"].items()}
        else:
            raise invalid_arguments([f"[ERROR] unknown response_action: {action}"])

    def _check_error_keys(self, view_id: str, errors: Any) -> None:
        inputs = {block.get("block_id") for block in self._views[view_id]["blocks"] if block.get("type") == "input"}
        if not isinstance(errors, dict) or not errors or not set(errors) <= inputs:
            raise invalid_arguments([f"[ERROR] errors must map input block_ids {sorted(inputs)} to messages"])

    def _materialize(self, spec: View, view_id: str, root: str | None, previous: str | None) -> View:
        ident = self._identity
        return {
            **_DEFAULTS,
            **spec,
            "id": view_id,
            "team_id": ident.team_id,
            "state": {"values": {}},
            "hash": view_hash(),
            "previous_view_id": previous,
            "root_view_id": root or view_id,
            "app_id": ident.app_id,
            "app_installed_team_id": ident.team_id,
            "bot_id": ident.bot_id,
        }

    def _keep(self, view: View, user_id: str, entered: StateValues) -> View:
        self._views[view["id"]] = view
        self._owners[view["id"]] = user_id
        self._errors.pop(view["id"], None)
        self._entered[view["id"]] = entered
        return view

    def _locate(self, view_id: str | None, external_id: str | None) -> str:
        if view_id and external_id:
            raise invalid_arguments(["[ERROR] Cannot provide both `view_id` and `external_id`"])
        for candidate, view in self._views.items():
            if candidate == view_id or (external_id and view["external_id"] == external_id):
                return candidate
        raise SlackMethodError("not_found")

    def _check_external_id(self, spec: View, allowed_view_id: str | None) -> None:
        wanted = spec.get("external_id")
        if wanted and any(v["external_id"] == wanted and vid != allowed_view_id for vid, v in self._views.items()):
            raise SlackMethodError("duplicate_external_id")
