"""A requester withdrawing their own request while it is still pending.

The request row is locked, so a cancellation and a decision arriving together are ordered: the
later one sees the earlier one's outcome and is refused with it. Someone else's request and an
id that does not exist are refused alike (ids cannot be probed); every refusal is audited. A
cancelled request keeps its decisions so far; its pending timers are cancelled with it, and
every DM about it, the receipt and the Home tabs it concerns are redrawn (``domain.surfaces``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain import escalations, surfaces
from domain.approvals import closed_by
from domain.catalog import Catalog
from domain.errors import DomainError, RequestClosed
from domain.jobs import TIMER_PREFIX
from domain.lifecycle import Status
from domain.ports import AuditSink, UnitOfWorkFactory
from domain.records import AuditEntry, RequestRecord, parse_request_ref
from domain.refusals import refusal_entry
from domain.tracking import waiting_on

CANCELLED_EVENT = "request_cancelled"


@dataclass
class NotYourRequest(DomainError):
    """Only a request's requester may cancel it; ``reason`` (no such request, or someone else's)
    is audited, never shown."""

    ref: str
    reason: str = "unknown_request"
    code = "not_your_request"


class Canceller:
    def __init__(self, catalog: Callable[[], Catalog], unit_of_work: UnitOfWorkFactory, audit: AuditSink) -> None:
        self._catalog = catalog
        self._uow = unit_of_work
        self._audit = audit

    async def cancel(self, actor: str, ref: str, details: dict[str, Any]) -> RequestRecord:
        """Cancel ``actor``'s pending request ``ref``; returns it as stored. A refusal
        (``NotYourRequest``, ``RequestClosed``) changes nothing and is audited."""
        try:
            async with self._uow() as uow:
                request_id = parse_request_ref(ref)
                request = None if request_id is None else await uow.requests.get(request_id, for_update=True)
                if request is None or request.requester_id != actor:
                    raise NotYourRequest(ref[:64], "unknown_request" if request is None else "not_the_requester")
                decisions = await uow.requests.decisions(request.id)
                if request.status != Status.PENDING:
                    raise RequestClosed(request.ref, request.status, closed_by(request, decisions))
                catalog = self._catalog()
                waited_on = waiting_on(catalog, request, decisions)
                cancelled = await uow.requests.set_progress(request, Status.CANCELLED, request.current_step, uow.now())
                uow.audit(AuditEntry(CANCELLED_EVENT, "ok", actor, request.ref,
                                     {**details, "step": request.current_step}))
                await uow.jobs.cancel(request.id, TIMER_PREFIX, uow.now())
                await surfaces.after_cancel(uow, catalog, cancelled, waited_on)
                await escalations.request_changed(uow, cancelled)
                return cancelled
        except DomainError as refusal:
            await self._audit(refusal_entry(actor, "cancel", refusal, {**details, "request": ref[:64]}))
            raise
