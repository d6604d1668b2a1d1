"""People asking for a human: Get help on a request (button or ``/selfserve escalate REQ-n``), a
question of their own (``/selfserve help-me``); and what support staff and the Slack side read.

Escalating a request is open to whoever may see it (``domain.tracking.may_see``); anyone else is
answered as for an id that does not exist. Every refusal is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from domain.catalog import Catalog
from domain.errors import DomainError
from domain.escalation_desk import EscalationDesk
from domain.escalation_records import EscalationRecord, Thread
from domain.escalations import escalate, escalations_enabled, support_staff
from domain.ports import AuditSink, UnitOfWorkFactory
from domain.records import AuditEntry, parse_request_ref
from domain.refusals import refusal_entry
from domain.tracking import RequestNotVisible, RequestStatus, may_see, waiting_on

QUEUE_LIMIT = 30
"""Open escalations a list shows at most (``/selfserve queue``; the Home tab shows fewer)."""
ASKED = "asked for help"
QUESTION = "question"


@dataclass
class EscalationsOff(DomainError):
    """The catalog sets no support channel: there is nobody to hand anything to."""

    code = "escalations_off"


@dataclass(frozen=True)
class EscalationView:
    """An escalation as its messages show it: with its request's state and history, if it has one."""

    escalation: EscalationRecord
    request: RequestStatus | None
    support_channel: str | None


class EscalationIntake:
    def __init__(self, catalog: Callable[[], Catalog], unit_of_work: UnitOfWorkFactory,
                 reader: UnitOfWorkFactory, audit: AuditSink, desk: EscalationDesk) -> None:
        self._catalog = catalog
        self._uow = unit_of_work
        self._reader = reader
        self._audit = audit
        self._desk = desk

    async def ask(self, actor: str, ref: str, words: str | None, via: str) -> EscalationRecord:
        """``actor`` asks for help with request ``ref``: a new escalation, or their words added to its open one."""
        details = {"request": ref[:64], "via": via}
        try:
            catalog = self._enabled()
            async with self._uow() as uow:
                request_id = parse_request_ref(ref)
                request = None if request_id is None else await uow.requests.get(request_id)
                decisions = [] if request is None else await uow.requests.decisions(request.id)
                if request is None or not may_see(catalog, request, decisions, actor):
                    raise RequestNotVisible(ref[:64], "unknown_request" if request is None else "not_a_viewer")
                escalation = await escalate(uow, catalog, request, by=actor, reason=ASKED, words=words)
                assert escalation is not None  # escalations are enabled
                return escalation
        except DomainError as refusal:
            await self._audit(refusal_entry(actor, "escalate", refusal, details))
            raise

    async def help_me(self, actor: str, question: str, via: str) -> EscalationRecord:
        """``actor``'s own question, tied to no request."""
        try:
            catalog = self._enabled()
        except DomainError as refusal:
            await self._audit(refusal_entry(actor, "escalate", refusal, {"via": via}))
            raise
        async with self._uow() as uow:
            escalation = await escalate(uow, catalog, None, by=actor, reason=QUESTION, words=question)
            assert escalation is not None
            return escalation

    def _enabled(self) -> Catalog:
        catalog = self._catalog()
        if not escalations_enabled(catalog):
            raise EscalationsOff()
        return catalog

    async def queue(self, actor: str) -> list[EscalationRecord]:
        """Open escalations, oldest first, for support staff (anyone else refused, audited)."""
        await self._desk.authorize(actor, "", "queue")
        async with self._reader() as uow:
            found = await uow.escalations.open_ones(QUEUE_LIMIT)
        await self._audit(AuditEntry("command", "ok", actor, None, {"command": "queue", "shown": len(found)}))
        return found

    async def for_home(self, user_id: str, limit: int) -> list[EscalationRecord]:
        """What a Home tab lists: open escalations for support staff, nothing for anyone else."""
        if user_id not in support_staff(self._catalog()):
            return []
        async with self._reader() as uow:
            return await uow.escalations.open_ones(limit)

    async def view(self, escalation_id: int) -> EscalationView | None:
        """What the escalation's messages are rendered from, read now; None if it is gone."""
        catalog = self._catalog()
        async with self._reader() as uow:
            escalation = await uow.escalations.get(escalation_id)
            if escalation is None:
                return None
            request = None if escalation.request_id is None else await uow.requests.get(escalation.request_id)
            status = None
            if request is not None:
                decisions = await uow.requests.decisions(request.id)
                status = RequestStatus(request, decisions, waiting_on(catalog, request, decisions),
                                       fulfilment=await uow.fulfilment.steps(request.id),
                                       plan=await uow.fulfilment.plan(request.id))
        return EscalationView(escalation, status, catalog.settings.support_channel)

    async def posted(self, escalation_id: int, side: str, post: Thread) -> None:
        """The Slack side posted the escalation's ``side`` message: its thread is where people talk."""
        async with self._uow() as uow:
            await uow.escalations.set_post(escalation_id, side, post)
