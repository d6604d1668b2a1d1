"""What people do about fulfilment: support runs a failed step again, the requester ends their
access early or asks to extend it. Each is authorised, audited, and refused alike for a request
that does not exist and one the person may not touch (ids cannot be probed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from domain import access, escalations, notifications
from domain.catalog import Action, Catalog
from domain.errors import DomainError, NotAuthorized, UnknownRequest
from domain.forms import Raw, as_raw
from domain.fulfilment import STEP_JOB
from domain.fulfilment_records import FAILED, PENDING
from domain.lifecycle import Status
from domain.ports import AuditSink, UnitOfWork, UnitOfWorkFactory
from domain.records import AuditEntry, RequestRecord, parse_request_ref
from domain.refusals import refusal_entry

DEFAULT_SUPPORT_ROLE = "support"


@dataclass
class NothingToDo(DomainError):
    """The step is not failed (any more), or the access is not running: ``state`` says how it stands."""

    ref: str
    state: str
    code = "nothing_to_do"


def may_support(catalog: Catalog, user_id: str) -> bool:
    """Support (``settings.support_role``, by default the role ``support``) and admins."""
    role = getattr(catalog.settings, "support_role", None) or DEFAULT_SUPPORT_ROLE
    return user_id in catalog.members_of(role) or user_id in catalog.members_of(catalog.settings.admins)


class FulfilmentDesk:
    def __init__(self, catalog: Callable[[], Catalog], unit_of_work: UnitOfWorkFactory, audit: AuditSink) -> None:
        self._catalog = catalog
        self._uow = unit_of_work
        self._audit = audit

    async def retry(self, actor: str, ref: str, phase: str, index: int) -> RequestRecord:
        """Run failed step ``index`` of ``phase`` again (its Idempotency-Key unchanged); support only."""
        details = {"request": ref[:64], "phase": phase[:16], "step": index}
        try:
            if not may_support(self._catalog(), actor):
                raise NotAuthorized("not_support")
            async with self._uow() as uow:
                request = await self._request(uow, ref)
                await uow.fulfilment.plan(request.id, for_update=True)
                step = next((s for s in await uow.fulfilment.steps(request.id) if (s.phase, s.index) == (phase, index)),
                            None)
                if step is None or step.status != FAILED:
                    raise NothingToDo(request.ref, "unknown" if step is None else step.status)
                now = uow.now()
                await uow.fulfilment.update_step(request.id, phase, index, now, status=PENDING)
                request = await uow.requests.set_status(request, Status.APPROVED, now)
                uow.enqueue(STEP_JOB, request.id, {"phase": phase, "index": index})
                uow.enqueue(notifications.RECEIPT_REFRESH, request.id, {})
                await escalations.request_changed(uow, request)  # the escalation shows it running
                uow.audit(AuditEntry("fulfilment_retried", "ok", actor, request.ref,
                                     {"phase": phase, "step": index, "label": step.label}))
                return request
        except DomainError as refusal:
            await self._audit(refusal_entry(actor, "fulfilment_retry", refusal, details))
            raise

    async def end_access(self, actor: str, ref: str) -> RequestRecord:
        """End the requester's time-bound access now ("I'm done"); the requester or an admin."""
        try:
            async with self._uow() as uow:
                request = await self._request(uow, ref)
                if actor != request.requester_id and actor not in self._catalog().members_of(
                        self._catalog().settings.admins):
                    raise NotAuthorized("not_the_requester")
                started = await access.end(uow, request.id, actor)
                if started is None:
                    raise NothingToDo(request.ref, request.status)
                return started
        except DomainError as refusal:
            await self._audit(refusal_entry(actor, "access_end", refusal, {"request": ref[:64]}))
            raise

    async def extension(self, actor: str, ref: str) -> tuple[Action, dict[str, Raw]]:
        """The action to request again and the old request's answers to fill its form with."""
        try:
            async with self._uow() as uow:
                request = await self._request(uow, ref)
            if actor != request.requester_id:
                raise NotAuthorized("not_the_requester")
            action = self._catalog().actions.get(request.action_id)
            if action is None:
                raise NothingToDo(request.ref, "action_removed")
            fields = {field.id: field for field in action.fields}
            values = {a.field_id: as_raw(fields[a.field_id], a.value) for a in request.answers
                      if a.field_id in fields and a.value is not None}
        except DomainError as refusal:
            await self._audit(refusal_entry(actor, "access_extend", refusal, {"request": ref[:64]}))
            raise
        await self._audit(AuditEntry("access_extension_started", "ok", actor, request.ref, {"action": action.id}))
        return action, values

    @staticmethod
    async def _request(uow: UnitOfWork, ref: str) -> RequestRecord:
        request_id = parse_request_ref(ref)
        request = None if request_id is None else await uow.requests.get(request_id)
        if request is None:
            raise UnknownRequest(ref[:64])
        return request
