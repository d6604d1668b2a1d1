"""The facts analytics are computed from, and the read-only store that supplies them.

Every figure is derived from what is stored anyway (requests, decisions, feedback, the audit
log), never from counters kept on the hot path, so any process computes the same numbers and a
figure added later covers the past too. Escalations and service-level breaches are read from
the audit events issue 11 writes for them (``escalated``, ``sla_breached``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

ESCALATED = "escalated"
SLA_BREACHED = "sla_breached"
FULFILLED = "fulfilment_done"
"""Issue 12's event when an approved request's ``on_approved`` steps are all done."""


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
    """Audit kinds (``ESCALATED``, ``SLA_BREACHED``) -> the ids of the requests they name."""


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


async def gather_facts(store: AnalyticsStore, since: datetime, until: datetime) -> Facts:
    """All the facts of one period, read in one snapshot."""
    return Facts(since, until, await store.requests(since), await store.decisions(since),
                 await store.form_events(since), await store.feedback(since),
                 await store.flagged((ESCALATED, SLA_BREACHED, FULFILLED), since))
