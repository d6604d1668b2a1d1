"""The records the rules work on: plain, immutable values that storage reads and writes.

The domain never sees ORM objects, so nothing it holds can lazily hit the database or be
flushed by accident; every change goes through an explicit repository method.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

REQUEST_REF_PREFIX = "REQ-"


def request_ref(request_id: int) -> str:
    """The id users see and type: ``REQ-<n>``."""
    return f"{REQUEST_REF_PREFIX}{request_id}"


def parse_request_ref(ref: str) -> int | None:
    """``REQ-42`` (any case, or a bare ``42``) -> 42; anything else -> None."""
    return parse_ref(ref, REQUEST_REF_PREFIX)


def parse_ref(ref: str, prefix: str) -> int | None:
    """The number of ``<prefix><n>`` (any case, or a bare ``n``); None for anything else."""
    text = ref.strip().upper().removeprefix(prefix)
    if not text.isdigit() or len(text) > 12:
        return None
    value = int(text)
    return value if value > 0 else None


@dataclass(frozen=True)
class Step:
    """An approval step as the request took it from the catalog.

    ``role`` names who decides, for people (``hr``, ``hr or it``, or the form field's label);
    ``roles`` are the roles whose holders may decide, ``approvers`` people named for this request
    (picked in an ``approver_field``). ``auto`` is the rule that skips the step, if any:
    ``{"requester_in": [roles]}`` or ``{"field": id, "at_most": number}``."""

    role: str
    min_approvals: int
    roles: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    auto: Mapping[str, Any] | None = None
    backup: str | None = None
    """The role asked too once the step is overdue (``sla.decide_within``), if any."""


@dataclass(frozen=True)
class Answer:
    """One answered field: ``kind`` is its field type (how to show ``value``), ``shown`` the
    option labels for a value picked from options (stored, so later catalog edits don't change
    what a request said)."""

    field_id: str
    label: str
    value: Any
    kind: str = "text"
    shown: str | None = None


@dataclass(frozen=True)
class RequestRecord:
    id: int
    action_id: str
    action_title: str
    requester_id: str
    status: str
    current_step: int
    steps: tuple[Step, ...]
    allow_self_approval: bool
    answers: tuple[Answer, ...]
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None
    escalated: bool = False
    """Whether it has had an escalation (as of the read: an escalation opened since in the same
    unit of work is not reflected)."""

    @property
    def ref(self) -> str:
        return request_ref(self.id)


@dataclass(frozen=True)
class NewRequest:
    action_id: str
    action_title: str
    requester_id: str
    steps: tuple[Step, ...]
    allow_self_approval: bool
    answers: tuple[Answer, ...]
    catalog_fingerprint: str
    source_view_id: str | None


@dataclass(frozen=True)
class DecisionRecord:
    request_id: int
    step: int
    approver_id: str
    verdict: str
    reason: str | None
    created_at: datetime
    note: str | None = None
    """A hand-over's note for the delegate (its ``reason`` names the delegate)."""


@dataclass(frozen=True)
class MessageRecord:
    request_id: int
    purpose: str
    step: int | None
    recipient_id: str
    channel: str
    ts: str


@dataclass(frozen=True)
class Deadline:
    """A request's service-level clock: ``scope`` ``step`` (its step ``step`` waiting for a decision)
    or ``request`` (the whole request, ``step`` None). ``due_at`` is None for a step that is only
    reminded about; ``reminders`` counts the reminders sent, so a timer run twice sends one."""

    request_id: int
    scope: str
    step: int | None
    due_at: datetime | None
    started_at: datetime
    breached_at: datetime | None = None
    reminders: int = 0


@dataclass(frozen=True)
class NewJob:
    """Durable work to do after the transaction that enqueues it commits.

    ``due_at`` None means as soon as it commits; a later time makes it a timer (a reminder,
    a breach, an expiry). ``key`` is the job's idempotency key, unique across the table (a
    second enqueue with the same key fails its transaction); handlers pass it to the outside
    system so a retried job can find what an earlier attempt did (None: a fresh random key)."""

    kind: str
    request_id: int | None
    payload: Mapping[str, Any]
    due_at: datetime | None = None
    key: str | None = None


@dataclass(frozen=True)
class Job:
    """A claimed job. ``attempts`` counts claims including this one; it is also the fencing
    token: an outcome is recorded only while nobody has claimed the job since. ``throttled`` of
    them were cut short by a rate limit (or held back by one) and do not count toward the cap."""

    id: int
    kind: str
    key: str
    request_id: int | None
    payload: Mapping[str, Any]
    attempts: int
    due_at: datetime
    throttled: int = 0

    @property
    def tries(self) -> int:
        """The attempts that count toward the cap."""
        return self.attempts - self.throttled


@dataclass(frozen=True)
class JobState:
    """A job as an operator sees it (``selfserve jobs``)."""

    id: int
    kind: str
    key: str
    request_id: int | None
    payload: Mapping[str, Any]
    status: str
    attempts: int
    due_at: datetime
    lease_until: datetime | None
    owner: str | None
    last_error: str | None
    created_at: datetime
    done_at: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    """What a caller asks to be audited; sequence, time and hashes are assigned on append."""

    kind: str
    outcome: str
    actor: str | None = None
    request_ref: str | None = None
    details: Mapping[str, Any] | None = None

