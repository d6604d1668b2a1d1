"""What the domain needs from storage, declared here so ``domain/`` imports nothing from it.

``storage/`` implements these protocols (``storage.unit_of_work.UnitOfWork`` and its
repositories); ``bot/app.py`` and ``cli/`` wire an implementation in. Tests run the service
against an in-memory implementation (``tests/memory_uow.py``) as well as the real one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol

from domain.escalation_records import EscalationRecord, NewEscalation, Thread
from domain.fulfilment_records import FulfilmentStore
from domain.records import AuditEntry, Deadline, DecisionRecord, Job, JobState, MessageRecord, NewRequest, RequestRecord


class DuplicateSubmission(Exception):
    """Another transaction stored a request for the same modal first (the unit of work is
    then unusable: roll it back and look the first one up)."""


class RequestStore(Protocol):
    """Requests, their decisions and the Slack messages posted about them."""

    async def add(self, new: NewRequest, status: str, now: datetime) -> RequestRecord:
        """Insert a request; a second one for the same modal raises ``DuplicateSubmission``."""

    async def get(self, request_id: int, *, for_update: bool = False) -> RequestRecord | None:
        """One request; ``for_update`` locks it until the unit of work ends."""

    async def find_by_view(self, view_id: str) -> RequestRecord | None:
        """The request a modal submission already created."""

    async def set_progress(self, request: RequestRecord, status: str, current_step: int,
                           now: datetime) -> RequestRecord:
        """Move ``request`` on; returns it as now stored."""

    async def set_status(self, request: RequestRecord, status: str, now: datetime) -> RequestRecord:
        """Change only the status (fulfilment: ``failed``, ``expired``, back to ``approved``)."""

    async def decisions(self, request_id: int) -> list[DecisionRecord]:
        """The request's decisions, oldest first."""

    async def add_decision(self, decision: DecisionRecord) -> None:
        """Store one verdict."""

    async def mark_escalated(self, request_id: int) -> None:
        """Remember that the request has an escalation (for good)."""

    async def by_requester(self, requester_id: str, limit: int, *, open_only: bool = False) -> list[RequestRecord]:
        """``requester_id``'s requests, newest first, at most ``limit``; only pending ones with ``open_only``."""

    async def waiting_on(self, user_id: str, roles: Collection[str], limit: int) -> list[RequestRecord]:
        """Pending requests whose current step holders of one of ``roles`` decide, or that names
        ``user_id`` as an approver, which ``user_id`` has not decided yet and which are not their own
        unless self-approval is allowed; newest first, at most ``limit``. A narrowing-down: callers
        check each against the catalog as it is now."""

    async def handed_to(self, user_id: str, limit: int) -> list[RequestRecord]:
        """Pending requests whose current step was handed to ``user_id`` (a decision with the
        verdict ``delegate`` naming them) and that they have not decided yet; newest first."""

    async def messages(self, request_id: int) -> list[MessageRecord]:
        """Messages posted about the request (every purpose: a request has a few), oldest first."""

    async def add_messages(self, messages: Sequence[MessageRecord], now: datetime) -> None:
        """Remember posted messages."""


class JobStore(Protocol):
    """The durable job table. Every method runs inside the unit of work's transaction."""

    async def claim(self, now: datetime, lease: timedelta, owner: str, limit: int,
                    kinds: Sequence[str] = ()) -> list[Job]:
        """Lease up to ``limit`` due jobs of ``kinds`` (empty: any kind) to ``owner`` (skipping
        rows another process holds), counting an attempt on each; expired leases are taken over."""

    async def complete(self, jobs: Sequence[Job], now: datetime) -> set[int]:
        """Mark ``jobs`` done; returns the ids that were still this claim's (fenced by attempts)."""

    async def retry_later(self, job: Job, at: datetime, error: str, *, counted: bool = True) -> bool:
        """Move the job's due time to ``at`` and drop its lease; False if the claim was lost. An
        attempt not ``counted`` (a rate limit) stays a fence but not a try toward the cap."""

    async def fail(self, job: Job, now: datetime, error: str) -> bool:
        """End the job as failed; False if the claim was lost."""

    async def release(self, job_ids: Sequence[int], owner: str, *, keep_attempt: bool) -> None:
        """Give claimed jobs back, due now (a graceful stop); the attempt stays counted for a
        job that was started, so its handler knows to look for what the attempt did. Only jobs
        ``owner`` still holds are released."""

    async def notify(self) -> None:
        """Wake the idle runners of every process when this transaction commits (where the
        database can: PostgreSQL), for work none of them would otherwise see before their next look."""

    async def take_chore(self, name: str, now: datetime, next_due: datetime) -> bool:
        """Claim this run of the engine's chore ``name`` if it is due (at most one process wins),
        making it due again at ``next_due``."""

    async def purge(self, done_before: datetime, failed_before: datetime, limit: int) -> int:
        """Delete up to ``limit`` jobs finished (done, cancelled) before ``done_before`` or failed
        before ``failed_before``, skipping rows another transaction holds; how many."""

    async def cancel(self, request_id: int, kind_prefix: str, now: datetime) -> int:
        """Cancel the request's pending jobs whose kind starts with ``kind_prefix``; how many."""

    async def next_due(self, kinds: Sequence[str] = ()) -> datetime | None:
        """When the earliest pending job of ``kinds`` (empty: any kind) becomes claimable (its due
        time, or when its lease ends)."""

    async def unclaimed(self, before: datetime) -> dict[str, int]:
        """Per kind, how many pending jobs were due by ``before`` and nobody has held since."""

    async def list_unclaimed(self, before: datetime, limit: int) -> list[JobState]:
        """The latest of those jobs, newest first."""

    async def stats(self, now: datetime) -> JobStats:
        """Queue depth and the age of the oldest due job, for metrics and health."""

    async def list(self, statuses: Sequence[str], limit: int) -> list[JobState]:
        """The latest jobs in ``statuses``, newest first."""

    async def get(self, job_id: int) -> JobState | None:
        """One job as an operator sees it."""

    async def requeue_failed(self, job_id: int, now: datetime) -> JobState | None:
        """Make a failed job due now with a fresh set of attempts (counted as tried once, so its
        handler looks for an earlier effect); None if it is not failed."""


@dataclass(frozen=True)
class JobStats:
    due: int
    """Jobs that should be running now (claimed or not)."""
    scheduled: int
    """Jobs waiting for a later due time."""
    oldest_due_seconds: float
    """How long the oldest due job has been waiting (0 when none)."""


class AwayStore(Protocol):
    """Who is away (``/selfserve away``), and who answers for them meanwhile."""

    async def active(self, people: Sequence[str], now: datetime) -> dict[str, str]:
        """Stand-ins of those of ``people`` who are away at ``now``."""

    async def set(self, user_id: str, stand_in: str, until: datetime | None, now: datetime) -> None:
        """Mark ``user_id`` away until ``until`` (None: until they say they are back)."""

    async def clear(self, user_id: str) -> bool:
        """``user_id`` is back; False if they were not away."""


class ServiceLevelStore(Protocol):
    """Requests' service-level clocks: when each is due, whether it was breached, reminders sent."""

    async def add(self, deadline: Deadline) -> None:
        """Start a clock."""

    async def of_requests(self, request_ids: Sequence[int]) -> list[Deadline]:
        """The clocks of these requests, oldest first."""

    async def breach(self, request_id: int, scope: str, step: int | None, now: datetime) -> bool:
        """Mark the clock breached at ``now``; False if it already was (or does not exist)."""

    async def reminded(self, request_id: int, step: int, number: int) -> bool:
        """Count reminder ``number`` of ``step``; False unless exactly ``number - 1`` were counted
        before (it was sent already)."""


class HomeViewers(Protocol):
    """Who opened their App Home tab, and when they last did."""

    async def opened(self, user_id: str, now: datetime) -> None:
        """``user_id`` opened their Home tab at ``now``."""

    async def watching(self, people: Sequence[str], since: datetime) -> set[str]:
        """Those of ``people`` who opened their Home tab at or after ``since``."""


class EscalationStore(Protocol):
    """Escalations to support staff; at most one open per request (a second open one for the
    same request fails the transaction)."""

    async def add(self, new: NewEscalation, now: datetime) -> EscalationRecord:
        """Insert an open escalation."""

    async def get(self, escalation_id: int, *, for_update: bool = False) -> EscalationRecord | None:
        """One escalation; ``for_update`` locks it until the unit of work ends."""

    async def open_for(self, request_id: int) -> EscalationRecord | None:
        """The request's escalation that is not resolved, if any."""

    async def of_request(self, request_id: int) -> list[EscalationRecord]:
        """Every escalation of the request, oldest first."""

    async def save(self, escalation: EscalationRecord) -> EscalationRecord:
        """Store its status, assignee, note, history and times; returns it as stored."""

    async def set_post(self, escalation_id: int, side: str, post: Thread) -> None:
        """Remember the message that carries the ``side`` ("support" or "requester") thread."""

    async def by_thread(self, channel: str, ts: str) -> EscalationRecord | None:
        """The escalation whose support or requester message is ``ts`` in ``channel``."""

    async def open_ones(self, limit: int) -> list[EscalationRecord]:
        """Escalations not resolved, oldest first, at most ``limit``."""


class SeenEvents(Protocol):
    """Events API deliveries already processed, by Slack's event id (Slack retries a delivery
    it got no timely answer for, with the same id)."""

    async def first_time(self, event_id: str, now: datetime) -> bool:
        """Remember ``event_id``; False if it was remembered before (by any process)."""

    async def purge(self, before: datetime, limit: int) -> int:
        """Forget up to ``limit`` event ids remembered before ``before``; how many went."""


class UnitOfWork(Protocol):
    """One transaction: every change in it, the work it enqueues and the audit entries it
    records are committed together, or none of them."""

    @property
    def requests(self) -> RequestStore:
        """Requests, decisions and posted messages, inside this transaction."""

    @property
    def away(self) -> AwayStore:
        """Absences, inside this transaction."""

    @property
    def home_viewers(self) -> HomeViewers:
        """Who looks at their Home tab, inside this transaction."""

    @property
    def fulfilment(self) -> FulfilmentStore:
        """Fulfilment plans and step progress, inside this transaction."""

    @property
    def service_levels(self) -> ServiceLevelStore:
        """Service-level clocks, inside this transaction."""

    @property
    def escalations(self) -> EscalationStore:
        """Escalations, inside this transaction."""

    @property
    def seen_events(self) -> SeenEvents:
        """Events API deliveries processed, inside this transaction."""

    @property
    def jobs(self) -> JobStore:
        """The job table, inside this transaction."""

    def now(self) -> datetime:
        """The time of this unit of work (one clock for every row it writes)."""

    def audit(self, entry: AuditEntry) -> None:
        """Record ``entry`` as part of this transaction."""

    def enqueue(self, kind: str, request_id: int | None, payload: Mapping[str, Any], *,
                due_at: datetime | None = None, key: str | None = None) -> None:
        """Queue durable work as part of this transaction: due when it commits, or at ``due_at``;
        ``key`` names it uniquely: a second job with the same key fails the transaction (so a
        cause that may run twice must not enqueue twice under one key); None: a fresh key."""


class UnitOfWorkScope(Protocol):
    """``async with factory() as uow``: committed when the block ends normally."""

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWorkScope]


class Wakeup(Protocol):
    """How an idle job runner learns that work may have come due before it planned to look."""

    async def start(self) -> None:
        """Begin listening (PostgreSQL: its own connection for LISTEN)."""

    async def wait(self, timeout: float) -> None:
        """Return after ``timeout`` seconds, or sooner when woken."""

    def wake(self) -> None:
        """Wake the waiter from this process."""

    async def close(self) -> None:
        """Stop listening."""
AuditSink = Callable[[AuditEntry], Coroutine[Any, Any, None]]
"""Appends one stand-alone audit event; returns once it is committed."""
