"""The facts analytics are computed from, and the read-only store that supplies them.

Every figure is derived from what is stored anyway (requests, decisions, feedback, the audit
log), never from counters kept on the hot path, so any process computes the same numbers and a
figure added later covers the past too. Escalations and service-level breaches are read from
the audit events issue 11 writes for them (``escalated``, ``sla_breached``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

ESCALATED = "escalated"
SLA_BREACHED = "sla_breached"
FULFILLED = "fulfilment_done"
"""Issue 12's event when an approved request's ``on_approved`` steps are all done (at its approval
when it has none but a plan: an access that expires)."""
FULFILMENT_STARTED = "fulfilment_started"
"""Issue 12's event when a phase's steps are queued: an approved request with it and without
``FULFILLED`` is still being carried out."""


@dataclass(frozen=True)
class RequestFact:
    id: int
    action_id: str
    requester_id: str
    status: str
    current_step: int
    view_id: str | None
    created_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True)
class UsageFact:
    """A request as social proof needs it: who asked for what, and the state of its ``on_approved``
    steps (read with it from the steps table, not from the audit log)."""

    action_id: str
    requester_id: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    steps_done_at: datetime | None
    """When the last of its ``on_approved`` steps was done (None: it has none)."""
    steps_open: int
    """Its ``on_approved`` steps not done yet."""

    def completed_at(self) -> datetime | None:
        """As ``completed_at``: when its steps were all done, or (none) its approval."""
        if self.status not in COMPLETED or self.steps_open:
            return None
        return self.steps_done_at or self.decided_at


@dataclass(frozen=True)
class DecisionFact:
    request_id: int
    step: int
    approver_id: str
    verdict: str
    created_at: datetime


@dataclass(frozen=True)
class FormEvent:
    """``kind``: ``opened``, ``closed`` (unsent) or ``invalid`` (a submission refused, ``fields`` at fault)."""

    kind: str
    action_id: str
    view_id: str | None
    at: datetime
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedbackFact:
    request_id: int
    action_id: str
    rating: str
    comment: str | None
    created_at: datetime


@dataclass(frozen=True)
class Facts:
    """Everything about requests created (and forms opened, feedback given) since ``since``."""

    since: datetime
    until: datetime
    requests: list[RequestFact]
    decisions: list[DecisionFact]
    forms: list[FormEvent]
    feedback: list[FeedbackFact]
    flagged: dict[str, set[int]]
    """Audit kinds (``ESCALATED``, ``SLA_BREACHED``, ``FULFILLED``, ``FULFILMENT_STARTED``) -> the ids
    of the requests they name."""
    fulfilled_at: dict[int, datetime] = field(default_factory=dict)
    """Request id -> when its ``on_approved`` steps were all done (its first ``FULFILLED`` event)."""

    def completed_at(self, request: RequestFact) -> datetime | None:
        """When ``request`` was completed (None: not, or not yet): for one with ``on_approved``
        steps when they were all done, for one without when it was approved."""
        return completed_at(request, self.fulfilled_at, self.flagged.get(FULFILMENT_STARTED, set()))


class AnalyticsStore(Protocol):
    async def requests(self, since: datetime) -> list[RequestFact]:
        """Requests created at or after ``since``."""

    async def decisions(self, since: datetime) -> list[DecisionFact]:
        """The decisions on requests created at or after ``since``, oldest first."""

    async def form_events(self, since: datetime) -> list[FormEvent]:
        """Request forms opened, closed unsent, or refused as invalid, at or after ``since``."""

    async def feedback(self, since: datetime) -> list[FeedbackFact]:
        """Feedback on requests created at or after ``since``."""

    async def flagged(self, kinds: Collection[str], since: datetime) -> dict[str, set[int]]:
        """Per audit kind, the requests named by such events at or after ``since``."""

    async def first_events(self, kind: str, since: datetime) -> dict[int, datetime]:
        """Per request named by ``kind`` events at or after ``since``, the first one's time."""

    def usage_pages(self, since: datetime, size: int) -> AsyncIterator[list[UsageFact]]:
        """Requests created at or after ``since``, ``size`` at a time (one short read each)."""

    async def ratings(self, since: datetime) -> dict[str, tuple[int, int]]:
        """Per action, the 👍 and all the answers on its requests created at or after ``since``
        (counted by the database)."""


COMPLETED = frozenset({"approved", "expired"})
"""A request that got what it asked for (``expired``: fulfilled, and its time-bound access has ended;
``failed``, approved but not carried out, is not)."""


def completed_at(request: RequestFact, fulfilled_at: Mapping[int, datetime],
                 fulfilling: Collection[int]) -> datetime | None:
    """When ``request`` was completed: when its fulfilment finished (``fulfilled_at``), or, for a
    request that has no ``on_approved`` steps, its approval; None when it is not completed or its
    steps are still running (in ``fulfilling``: they started)."""
    if request.status not in COMPLETED:
        return None
    if request.id in fulfilled_at:
        return fulfilled_at[request.id]
    return None if request.id in fulfilling else request.decided_at


async def gather_facts(store: AnalyticsStore, since: datetime, until: datetime) -> Facts:
    """All the facts of one period, read in one snapshot."""
    return Facts(since, until, await store.requests(since), await store.decisions(since),
                 await store.form_events(since), await store.feedback(since),
                 await store.flagged((ESCALATED, SLA_BREACHED, FULFILLED, FULFILMENT_STARTED), since),
                 await store.first_events(FULFILLED, since))
