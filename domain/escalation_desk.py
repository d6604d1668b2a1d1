"""What support staff do with an escalation: claim, resolve, reassign, reopen.

Only holders of the support role may (anyone else is refused, and every refusal audited). Each
change locks the escalation's row, so two people claiming at once are ordered: the first wins,
the second is refused with who has it. The requester is told of every change, the channel
message redrawn and the support staff's Home tabs published again, all by jobs of the change's
own transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from domain import feedback
from domain.catalog import Catalog
from domain.errors import DomainError, NotAuthorized
from domain.escalation_records import EscalationEvent, EscalationRecord, EscalationStatus, parse_escalation_ref
from domain.escalations import (
    CLAIMED,
    ESCALATION_POST,
    ESCALATION_TELL,
    REASSIGNED,
    REOPENED,
    RESOLVED,
    refresh_support_homes,
    support_staff,
)
from domain.ports import AuditSink, UnitOfWork, UnitOfWorkFactory
from domain.records import AuditEntry, request_ref
from domain.refusals import refusal_entry

NOTE_LIMIT = 3000


@dataclass
class UnknownEscalation(DomainError):
    ref: str
    code = "unknown_escalation"


@dataclass
class EscalationTaken(DomainError):
    """The escalation is not in a state for this: ``status`` now, and who has it (``assignee``)."""

    ref: str
    status: str
    assignee: str | None = None
    code = "escalation_taken"


@dataclass
class CannotReassign(DomainError):
    """``reason``: not_support (the person does not hold the support role), already_theirs."""

    ref: str
    reason: str
    code = "cannot_reassign"


@dataclass
class AnotherEscalationOpen(DomainError):
    """Reopening would make a second open escalation of one request."""

    ref: str
    other: str
    code = "another_escalation_open"


Change = Callable[[UnitOfWork, EscalationRecord], Awaitable[EscalationRecord]]


class EscalationDesk:
    def __init__(self, catalog: Callable[[], Catalog], unit_of_work: UnitOfWorkFactory, audit: AuditSink, *,
                 refresh_groups: Callable[[Iterable[str]], Awaitable[None]] | None = None) -> None:
        self._catalog = catalog
        self._uow = unit_of_work
        self._audit = audit
        self._refresh_groups = refresh_groups

    async def is_support(self, user_id: str) -> bool:
        """Whether ``user_id`` holds the support role now (its Slack user groups looked up first)."""
        catalog = self._catalog()
        if self._refresh_groups is not None:
            await self._refresh_groups([catalog.settings.support])
        return user_id in support_staff(self._catalog())

    async def authorize(self, actor: str, ref: str, doing: str) -> None:
        """Refuse (audited) anyone without the support role, before a form is opened for them."""
        if not await self.is_support(actor):
            refusal = NotAuthorized("not_support_role", self._catalog().settings.support)
            await self._audit(refusal_entry(actor, "escalation", refusal, {"escalation": ref[:64], "do": doing}))
            raise refusal

    async def claim(self, actor: str, ref: str) -> EscalationRecord:
        async def change(uow: UnitOfWork, escalation: EscalationRecord) -> EscalationRecord:
            if escalation.status != EscalationStatus.OPEN:
                raise EscalationTaken(escalation.ref, escalation.status, escalation.assignee)
            return replace(escalation, status=EscalationStatus.CLAIMED, assignee=actor)

        return await self._change(actor, ref, CLAIMED, change)

    async def resolve(self, actor: str, ref: str, note: str) -> EscalationRecord:
        note = note.strip()[:NOTE_LIMIT]

        async def change(uow: UnitOfWork, escalation: EscalationRecord) -> EscalationRecord:
            if not escalation.is_open:
                raise EscalationTaken(escalation.ref, escalation.status, escalation.assignee)
            return replace(escalation, status=EscalationStatus.RESOLVED, assignee=escalation.assignee or actor,
                           note=note, resolved_at=uow.now())

        return await self._change(actor, ref, RESOLVED, change, text=note)

    async def reassign(self, actor: str, ref: str, to: str) -> EscalationRecord:
        async def change(uow: UnitOfWork, escalation: EscalationRecord) -> EscalationRecord:
            if not escalation.is_open:
                raise EscalationTaken(escalation.ref, escalation.status, escalation.assignee)
            if to not in support_staff(self._catalog()):
                raise CannotReassign(escalation.ref, "not_support")
            if escalation.assignee == to:
                raise CannotReassign(escalation.ref, "already_theirs")
            return replace(escalation, status=EscalationStatus.CLAIMED, assignee=to)

        return await self._change(actor, ref, REASSIGNED, change, to=to)

    async def reopen(self, actor: str, ref: str) -> EscalationRecord:
        async def change(uow: UnitOfWork, escalation: EscalationRecord) -> EscalationRecord:
            if escalation.is_open:
                raise EscalationTaken(escalation.ref, escalation.status, escalation.assignee)
            if escalation.request_id is not None:
                await uow.requests.get(escalation.request_id, for_update=True)  # as escalate() does
                other = await uow.escalations.open_for(escalation.request_id)
                if other is not None:
                    raise AnotherEscalationOpen(escalation.ref, other.ref)
            return replace(escalation, status=EscalationStatus.OPEN, assignee=None, note=None, resolved_at=None)

        return await self._change(actor, ref, REOPENED, change)

    async def _change(self, actor: str, ref: str, what: str, change: Change, *, text: str | None = None,
                      to: str | None = None) -> EscalationRecord:
        """Apply ``change`` to the locked escalation, record it in its history, audit it and
        queue what people see of it; a refusal changes nothing and is audited."""
        await self.authorize(actor, ref, what)
        try:
            async with self._uow() as uow:
                escalation_id = parse_escalation_ref(ref)
                current = None if escalation_id is None else await uow.escalations.get(escalation_id, for_update=True)
                if current is None:
                    raise UnknownEscalation(ref[:64])
                changed = await change(uow, current)
                event = EscalationEvent(what, actor, uow.now(), text=text, to=to)
                saved = await uow.escalations.save(replace(changed, history=(*changed.history, event),
                                                           updated_at=uow.now()))
                details: dict[str, Any] = {"escalation": saved.ref, "to": to, "note": text}
                uow.audit(AuditEntry(f"escalation_{what}", "ok", actor,
                                     request_ref(saved.request_id) if saved.request_id else None, details))
                uow.enqueue(ESCALATION_POST, saved.request_id, {"escalation": saved.id})
                uow.enqueue(ESCALATION_TELL, saved.request_id, {"escalation": saved.id, "what": what, "by": actor})
                await refresh_support_homes(uow, self._catalog(), saved)
                if what == RESOLVED and saved.request_id is not None:  # the requester is asked how it went
                    request = await uow.requests.get(saved.request_id)
                    if request is not None:
                        feedback.ask_when_finished(uow, request)
                return saved
        except DomainError as refusal:
            await self._audit(refusal_entry(actor, "escalation", refusal, {"escalation": ref[:64], "do": what}))
            raise
