"""Handing an approval step to someone else: by a Delegate click, or while one is away.

A hand-over is stored as a decision with the verdict ``delegate`` whose reason names the new
decider and whose note is what the approver wrote for them, so it travels with the step's
decisions (no extra read on a click) and the delegate's DM and the history show both. Only
someone who could decide the step now may hand it over; afterwards the delegate may decide it,
and the one who handed it over may not. Absences come from the catalog
(``settings.out_of_office``) and from ``/selfserve away``; while someone is away, the steps that
would ask them ask their stand-in instead, recorded the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain import notifications, surfaces
from domain.approvals import authorize_decision, delegates
from domain.catalog import Catalog
from domain.errors import DomainError
from domain.lifecycle import Verdict
from domain.ports import AuditSink, UnitOfWork, UnitOfWorkFactory
from domain.records import AuditEntry, DecisionRecord, RequestRecord
from domain.refusals import refusal_entry
from domain.routing import load_request, members_for

NOTE_LIMIT = 500


@dataclass
class CannotDelegate(DomainError):
    """The step cannot go to that person: ``reason`` is to_self, to_requester, already_theirs,
    already_decided (they decided or handed it on already), or ended (an absence in the past)."""

    reason: str
    code = "cannot_delegate"


class Delegation:
    def __init__(self, catalog: Callable[[], Catalog], unit_of_work: UnitOfWorkFactory, audit: AuditSink) -> None:
        self._catalog = catalog
        self._uow = unit_of_work
        self._audit = audit

    async def delegate(self, actor: str, ref: str, step: int, to_user: str, note: str | None) -> RequestRecord:
        """Hand ``step`` of ``ref`` from ``actor`` to ``to_user``: audited, the delegate asked by
        DM and every DM of the step redrawn to show it. Refusals are typed and audited."""
        details: dict[str, object] = {"request": ref[:64], "step": step, "to": to_user}
        try:
            async with self._uow() as uow:
                request = await load_request(uow, ref, lock=True)
                decisions = await uow.requests.decisions(request.id)
                members = members_for(self._catalog(), request, step)
                authorize_decision(request, step, actor, members, decisions)
                if to_user == actor:
                    raise CannotDelegate("to_self")
                if to_user == request.requester_id and not request.allow_self_approval:
                    raise CannotDelegate("to_requester")
                if to_user in delegates(decisions, step):
                    raise CannotDelegate("already_theirs")
                if any(d.step == step and d.approver_id == to_user for d in decisions):
                    raise CannotDelegate("already_decided")  # they could not decide it again
                text = (note or "").strip()[:NOTE_LIMIT]
                await uow.requests.add_decision(DecisionRecord(request.id, step, actor, Verdict.DELEGATE, to_user,
                                                               uow.now(), text or None))
                uow.enqueue(notifications.APPROVER_ASK, request.id, notifications.approver_ask(step, to_user))
                uow.enqueue(notifications.APPROVER_REFRESH, request.id, notifications.approver_refresh(step))
                uow.audit(AuditEntry("delegated", "ok", actor, request.ref,
                                     {"step": step, "to": to_user, "note": text or None}))
                await surfaces.after_handover(uow, request, actor, to_user)
                return request
        except DomainError as refusal:
            await self._audit(refusal_entry(actor, "delegated", refusal, details))
            raise

    async def set_away(self, actor: str, stand_in: str, until: datetime | None) -> None:
        """From now on (until ``until``), steps that would ask ``actor`` ask ``stand_in``;
        ``CannotDelegate`` (audited) if it cannot be."""
        details = {"stand_in": stand_in, "until": until.isoformat() if until else None}
        try:
            async with self._uow() as uow:
                if stand_in == actor:
                    raise CannotDelegate("to_self")
                if until is not None and until <= uow.now():
                    raise CannotDelegate("ended")
                await uow.away.set(actor, stand_in, until, uow.now())
                uow.audit(AuditEntry("away_set", "ok", actor, None, details))
        except CannotDelegate as refusal:
            await self._audit(refusal_entry(actor, "away_set", refusal, details))
            raise

    async def back(self, actor: str) -> bool:
        """``actor`` is back: steps ask them again. False if they were not marked away."""
        async with self._uow() as uow:
            cleared = await uow.away.clear(actor)
            if cleared:
                uow.audit(AuditEntry("away_cleared", "ok", actor, None, {}))
            return cleared


async def stand_ins(uow: UnitOfWork, catalog: Catalog, people: Sequence[str]) -> dict[str, str]:
    """Who answers for each of ``people`` who is away now: ``/selfserve away`` first, then the
    catalog's ``out_of_office``. Someone whose stand-in is away too (two people covering for each
    other) or is themselves is asked after all: a hand-over would leave the step with nobody who
    may decide it."""
    marked = await uow.away.active(people, uow.now())
    configured = catalog.settings.out_of_office
    found = {person: stand_in for person in people
             if (stand_in := marked.get(person) or configured.get(person)) and stand_in != person}
    away_too = set(found) | set(await uow.away.active(list(found.values()), uow.now())) | set(configured)
    return {person: stand_in for person, stand_in in found.items() if stand_in not in away_too}

