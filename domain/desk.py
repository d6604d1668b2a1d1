"""What a person may ask for: the help list, and an action named in a command or on a button.

Each answer and each refusal is audited here, not in the Slack handlers. Those audit events
change nothing else, so they are written after the answer has gone out (``defer``): the
person never waits for the audit log, and the event is still committed moments later.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from domain.catalog import Action, Catalog
from domain.errors import DomainError
from domain.ports import AuditSink
from domain.rbac import requestable_actions, resolve_action
from domain.records import AuditEntry
from domain.refusals import refusal_entry

Defer = Callable[[Coroutine[Any, Any, None]], None]


class ActionDesk:
    def __init__(self, catalog: Callable[[], Catalog], audit: AuditSink, defer: Defer) -> None:
        self._catalog = catalog
        self._audit = audit
        self._defer = defer

    def help(self, actor: str, details: dict[str, Any]) -> list[Action]:
        """The actions ``actor`` may request, in catalog order."""
        self._defer(self._audit(AuditEntry("command", "ok", actor, None, details)))
        return requestable_actions(self._catalog(), actor)

    def unavailable(self, actor: str, details: dict[str, Any]) -> None:
        """A subcommand reserved for a later version was typed."""
        self._defer(self._audit(AuditEntry("command", "unavailable", actor, None, details)))

    def resolve(self, actor: str, name: str, kind: str, details: dict[str, Any]) -> Action:
        """The action ``actor`` asked for by ``name``; a typed refusal (audited) otherwise."""
        try:
            action = resolve_action(self._catalog(), actor, name)
        except DomainError as refusal:
            self._defer(self._audit(refusal_entry(actor, kind, refusal, details)))
            raise
        if kind == "command":
            self._defer(self._audit(AuditEntry("command", "ok", actor, None, details)))
        return action

    def failed(self, actor: str | None, request_type: str, error: str, *, malformed: bool) -> None:
        """A request the app could not handle: a payload it refused as malformed, or its own bug."""
        entry = AuditEntry("malformed_payload" if malformed else "error", "refused" if malformed else "error",
                           actor, None, {"error": error[:500], "type": request_type[:64]})
        self._defer(self._audit(entry))

    async def form_opened(self, actor: str, action_id: str, view_id: str | None, error: str | None = None) -> None:
        """Audit a form that Slack opened (``view_id``) or refused to open (``error``)."""
        details: dict[str, Any] = {"action": action_id}
        details.update({"view": view_id} if error is None else {"error": error})
        await self._audit(AuditEntry("modal_opened", "ok" if error is None else "failed", actor, None, details))

    async def form_closed(self, actor: str, action_id: str, view_id: str) -> None:
        """Audit a form closed without being sent (Slack's ``view_closed``): abandonment, for the funnel."""
        await self._audit(AuditEntry("modal_closed", "ok", actor, None, {"action": action_id[:100], "view": view_id}))
