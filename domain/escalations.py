"""Escalating to people: a request (or a question) handed to support staff in the support channel.

``escalate`` is the one way in, for people (Get help, ``/selfserve escalate``, ``help-me``) and for
the bot itself (a step nobody may decide; the service levels' "approval overdue"). It runs inside
the caller's unit of work and enqueues its own jobs, so an escalation and its cause commit together.
A request has at most one open escalation: escalating it again adds to that one's history (the
request row is locked first, so two processes escalating at once are ordered; a unique key on the
open escalation backs that up). What people see is rendered by the job handlers at delivery time.
"""

from __future__ import annotations

from dataclasses import replace

from domain import feedback
from domain.catalog import Catalog
from domain.escalation_records import (
    EscalationEvent,
    EscalationRecord,
    NewEscalation,
)
from domain.lifecycle import Status
from domain.ports import UnitOfWork
from domain.records import AuditEntry, RequestRecord
from domain.surfaces import HOME_REFRESH, HOME_WATCH

ESCALATION_POST = "escalation.post"
"""Post the escalation to the support channel (payload ``{"escalation": id, "first": true}``, once), or
redraw its message there (``{"escalation": id}``, waiting for the first post if need be)."""
ESCALATION_TELL = "escalation.tell"
"""Tell the requester what changed (payload ``{"escalation": id, "what": event, "by": user}``); the first
one opens the DM thread their side of the conversation happens in."""
ESCALATION_RELAY = "escalation.relay"
"""Carry one message across (payload ``{"escalation": id, "to": "requester" | "support", "author": user,
"text": as typed}``)."""
ALL_KINDS = (ESCALATION_POST, ESCALATION_TELL, ESCALATION_RELAY)

OPENED, AGAIN, CLAIMED, REASSIGNED, RESOLVED, REOPENED = "opened", "again", "claimed", "reassigned", "resolved", \
    "reopened"
ESCALATED_EVENT = "escalated"
WORDS_LIMIT = 2000
"""Characters of the requester's words kept (what they typed after the command, or in a thread)."""


def escalations_enabled(catalog: Catalog) -> bool:
    """Escalations need somewhere to go: the catalog's ``settings.support_channel``."""
    return catalog.settings.support_channel is not None


def support_staff(catalog: Catalog) -> frozenset[str]:
    """Who may claim, resolve, reassign and reopen escalations (the support role's holders)."""
    return catalog.members_of(catalog.settings.support)


async def escalate(uow: UnitOfWork, catalog: Catalog, request: RequestRecord | None, *, by: str | None,
                   reason: str, words: str | None = None) -> EscalationRecord | None:
    """Hand ``request`` (None: a question of ``by``'s own) to support staff; ``by`` None means the bot.

    Idempotent per (request, reason) while the request's escalation is open: the same reason again
    (with no new words) changes nothing, another reason or new words are added to its history and
    its message redrawn. Returns the escalation; None when the catalog sets no support channel."""
    if not escalations_enabled(catalog):
        return None
    words = words.strip()[:WORDS_LIMIT] or None if words else None
    now = uow.now()
    if request is not None:
        await uow.requests.get(request.id, for_update=True)  # escalations of one request queue here
        current = await uow.escalations.open_for(request.id)
        if current is not None:
            return await _again(uow, catalog, current, request, by, reason, words)
    requester = request.requester_id if request is not None else by
    if requester is None:
        raise ValueError("the bot escalates requests, not questions")
    opened = EscalationEvent(OPENED, by, now, reason=reason, text=words)
    escalation = await uow.escalations.add(NewEscalation(
        request.id if request else None, requester, by, reason, words, (opened,)), now)
    if request is not None:
        await uow.requests.mark_escalated(request.id)  # under the row lock taken above
    uow.audit(AuditEntry(ESCALATED_EVENT, "ok", by, request.ref if request else None,
                         {"escalation": escalation.ref, "reason": reason, "words": words}))
    uow.enqueue(ESCALATION_POST, escalation.request_id, {"escalation": escalation.id, "first": True})
    uow.enqueue(ESCALATION_TELL, escalation.request_id, {"escalation": escalation.id, "what": OPENED, "by": by})
    await refresh_support_homes(uow, catalog, escalation)
    return escalation


async def escalate_overdue(uow: UnitOfWork, catalog: Catalog, request: RequestRecord, reason: str) -> None:
    """The service levels' way in (``domain.sla_timers.Escalate``): the bot escalates a request
    whose clock ran out, in the timer's unit of work."""
    await escalate(uow, catalog, request, by=None, reason=reason)


async def _again(uow: UnitOfWork, catalog: Catalog, current: EscalationRecord, request: RequestRecord,
                 by: str | None, reason: str, words: str | None) -> EscalationRecord:
    known = any(event.reason == reason for event in current.history)
    said = words is None or any(event.text == words for event in current.history)
    if known and said:
        return current
    event = EscalationEvent(AGAIN, by, uow.now(), reason=reason, text=words)
    updated = await uow.escalations.save(replace(current, history=(*current.history, event), updated_at=uow.now()))
    uow.audit(AuditEntry(ESCALATED_EVENT, "again", by, request.ref,
                         {"escalation": current.ref, "reason": reason, "words": words}))
    uow.enqueue(ESCALATION_POST, updated.request_id, {"escalation": updated.id})
    await refresh_support_homes(uow, catalog, updated)
    return updated


async def request_changed(uow: UnitOfWork, request: RequestRecord) -> None:
    """``request`` moved on (a step decided, approved, rejected or cancelled): its escalations'
    messages in the support channel show it. A request never escalated has none to read (an
    escalation opened earlier in this unit of work queued its own message, drawn when sent)."""
    if not request.escalated:
        return
    escalated = await uow.escalations.of_request(request.id)
    for escalation in escalated:
        uow.enqueue(ESCALATION_POST, request.id, {"escalation": escalation.id})
    if escalated and request.status == Status.CANCELLED:  # cancelled after an escalation: how did it go?
        feedback.ask_when_finished(uow, request)


async def refresh_support_homes(uow: UnitOfWork, catalog: Catalog, escalation: EscalationRecord) -> None:
    """Support staff's Home tabs list the open escalations: published again for those who look."""
    watching = await uow.home_viewers.watching(sorted(support_staff(catalog)), uow.now() - HOME_WATCH)
    for user in sorted(watching):
        uow.enqueue(HOME_REFRESH, escalation.request_id, {"user": user})

