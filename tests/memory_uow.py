"""An in-memory implementation of ``domain.ports``: the service's rules tested without a database.

A unit of work works on a copy of the store and publishes it on commit, so a refusal or an
error inside one changes nothing, as a rolled-back transaction would.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from domain.escalation_records import EscalationRecord, EscalationStatus, NewEscalation, Thread
from domain.fulfilment_records import PlanRecord, StepRecord
from domain.jobs import CANCELLED, DONE, FAILED, PENDING
from domain.ports import DuplicateSubmission, JobStats
from domain.records import AuditEntry, Deadline, DecisionRecord, Job, JobState, MessageRecord, NewRequest, RequestRecord
from domain.surfaces import HOME_REFRESH


@dataclass
class Store:
    """Everything "committed" so far."""

    requests: dict[int, RequestRecord] = field(default_factory=dict)
    views: dict[str, int] = field(default_factory=dict)
    decisions: list[DecisionRecord] = field(default_factory=list)
    messages: list[MessageRecord] = field(default_factory=list)
    jobs: dict[int, JobState] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    away: dict[str, tuple[str, datetime | None]] = field(default_factory=dict)
    home_viewers: dict[str, datetime] = field(default_factory=dict)
    plans: dict[int, PlanRecord] = field(default_factory=dict)
    steps: dict[tuple[int, str, int], StepRecord] = field(default_factory=dict)
    deadlines: list[Deadline] = field(default_factory=list)
    escalations: dict[int, EscalationRecord] = field(default_factory=dict)
    seen_events: dict[str, datetime] = field(default_factory=dict)


class MemoryRequests:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, new: NewRequest, status: str, now: datetime) -> RequestRecord:
        if new.source_view_id is not None and new.source_view_id in self._store.views:
            raise DuplicateSubmission(new.source_view_id)
        request_id = len(self._store.requests) + 1
        record = RequestRecord(request_id, new.action_id, new.action_title, new.requester_id, status, 0, new.steps,
                               new.allow_self_approval, new.answers, now, now, None)
        self._store.requests[request_id] = record
        if new.source_view_id is not None:
            self._store.views[new.source_view_id] = request_id
        return record

    async def get(self, request_id: int, *, for_update: bool = False) -> RequestRecord | None:
        return self._store.requests.get(request_id)

    async def find_by_view(self, view_id: str) -> RequestRecord | None:
        request_id = self._store.views.get(view_id)
        return None if request_id is None else self._store.requests[request_id]

    async def set_progress(self, request: RequestRecord, status: str, current_step: int,
                           now: datetime) -> RequestRecord:
        updated = replace(request, status=status, current_step=current_step, updated_at=now,
                          decided_at=None if status == "pending" else now)
        self._store.requests[request.id] = updated
        return updated

    async def set_status(self, request: RequestRecord, status: str, now: datetime) -> RequestRecord:
        updated = replace(self._store.requests[request.id], status=status, updated_at=now)
        self._store.requests[request.id] = updated
        return updated

    async def decisions(self, request_id: int) -> list[DecisionRecord]:
        return [d for d in self._store.decisions if d.request_id == request_id]

    async def add_decision(self, decision: DecisionRecord) -> None:
        self._store.decisions.append(decision)

    async def mark_escalated(self, request_id: int) -> None:
        self._store.requests[request_id] = replace(self._store.requests[request_id], escalated=True)

    async def by_requester(self, requester_id: str, limit: int, *, open_only: bool = False) -> list[RequestRecord]:
        found = [r for r in self._store.requests.values()
                 if r.requester_id == requester_id and (not open_only or r.status == "pending")]
        return sorted(found, key=lambda r: -r.id)[:limit]

    async def waiting_on(self, user_id: str, roles: Collection[str], limit: int) -> list[RequestRecord]:
        def waits(request: RequestRecord) -> bool:
            step = request.steps[request.current_step]
            decides = bool(set(step.roles or (step.role,)) & set(roles)) or user_id in step.approvers
            decided = any(d.request_id == request.id and d.step == request.current_step and d.approver_id == user_id
                          for d in self._store.decisions)
            return decides and not decided and (request.allow_self_approval or request.requester_id != user_id)

        found = [r for r in self._store.requests.values() if r.status == "pending" and waits(r)]
        return sorted(found, key=lambda r: -r.id)[:limit]

    async def handed_to(self, user_id: str, limit: int) -> list[RequestRecord]:
        def on_step(request: RequestRecord) -> list[DecisionRecord]:
            return [d for d in self._store.decisions if d.request_id == request.id and d.step == request.current_step]

        found = [r for r in self._store.requests.values() if r.status == "pending"
                 and any(d.verdict == "delegate" and d.reason == user_id for d in on_step(r))
                 and not any(d.approver_id == user_id for d in on_step(r))]
        return sorted(found, key=lambda r: -r.id)[:limit]

    async def messages(self, request_id: int) -> list[MessageRecord]:
        return [m for m in self._store.messages if m.request_id == request_id]

    async def add_messages(self, messages: Sequence[MessageRecord], now: datetime) -> None:
        self._store.messages.extend(messages)


def _job(state: JobState) -> Job:
    return Job(state.id, state.kind, state.key, state.request_id, state.payload, state.attempts, state.due_at)


class MemoryJobs:
    """The job table's rules (claims, fencing, leases) over a dict."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, kind: str, request_id: int | None, payload: Mapping[str, Any], due_at: datetime,
            key: str | None, now: datetime) -> None:
        job_id = len(self._store.jobs) + 1
        self._store.jobs[job_id] = JobState(job_id, kind, key or f"key-{job_id}", request_id, payload, PENDING, 0,
                                            due_at, None, None, None, now, None)

    def _claimable(self, job: JobState, now: datetime) -> bool:
        return job.status == PENDING and job.due_at <= now and (job.lease_until is None or job.lease_until < now)

    def _held(self, job: Job) -> JobState | None:
        state = self._store.jobs.get(job.id)
        return state if state and state.status == PENDING and state.attempts == job.attempts else None

    def _set(self, job_id: int, **changes: Any) -> None:
        self._store.jobs[job_id] = replace(self._store.jobs[job_id], **changes)

    async def claim(self, now: datetime, lease: timedelta, owner: str, limit: int,
                    kinds: Sequence[str] = ()) -> list[Job]:
        due = sorted((j for j in self._store.jobs.values()
                      if self._claimable(j, now) and (not kinds or j.kind in kinds)), key=lambda j: (j.due_at, j.id))
        for job in due[:limit]:
            self._set(job.id, lease_until=now + lease, owner=owner, attempts=job.attempts + 1)
        return [_job(self._store.jobs[job.id]) for job in due[:limit]]

    async def complete(self, jobs: Sequence[Job], now: datetime) -> set[int]:
        held = {job.id for job in jobs if self._held(job)}
        for job_id in held:
            self._set(job_id, status=DONE, done_at=now, lease_until=None)
        return held

    async def retry_later(self, job: Job, at: datetime, error: str, *, counted: bool = True) -> bool:
        if not self._held(job):
            return False
        self._set(job.id, due_at=at, lease_until=None, last_error=error)
        return True

    async def fail(self, job: Job, now: datetime, error: str) -> bool:
        if not self._held(job):
            return False
        self._set(job.id, status=FAILED, done_at=now, lease_until=None, last_error=error)
        return True

    async def notify(self) -> None:
        return None

    async def release(self, job_ids: Sequence[int], owner: str, *, keep_attempt: bool) -> None:
        for job_id in job_ids:
            job = self._store.jobs[job_id]
            if job.status == PENDING and job.lease_until is not None and job.owner == owner:
                self._set(job_id, lease_until=None, attempts=job.attempts - (0 if keep_attempt else 1))

    async def take_chore(self, name: str, now: datetime, next_due: datetime) -> bool:
        return False

    async def purge(self, done_before: datetime, failed_before: datetime, limit: int) -> int:
        return 0

    async def cancel(self, request_id: int, kind_prefix: str, now: datetime) -> int:
        hits = [j.id for j in self._store.jobs.values()
                if j.request_id == request_id and j.status == PENDING and j.kind.startswith(kind_prefix)]
        for job_id in hits:
            self._set(job_id, status=CANCELLED, done_at=now, lease_until=None)
        return len(hits)

    async def next_due(self, kinds: Sequence[str] = ()) -> datetime | None:
        times = [j.lease_until or j.due_at for j in self._store.jobs.values()
                 if j.status == PENDING and (not kinds or j.kind in kinds)]
        return min(times, default=None)

    def _unclaimed(self, before: datetime) -> list[JobState]:
        return [j for j in self._store.jobs.values() if j.status == PENDING and j.due_at <= before
                and (j.lease_until is None or j.lease_until <= before)]

    async def unclaimed(self, before: datetime) -> dict[str, int]:
        return dict(Counter(j.kind for j in self._unclaimed(before)))

    async def list_unclaimed(self, before: datetime, limit: int) -> list[JobState]:
        return sorted(self._unclaimed(before), key=lambda j: -j.id)[:limit]

    async def stats(self, now: datetime) -> JobStats:
        pending = [j for j in self._store.jobs.values() if j.status == PENDING]
        due = [j.due_at for j in pending if j.due_at <= now]
        oldest = (now - min(due)).total_seconds() if due else 0.0
        return JobStats(due=len(due), scheduled=len(pending) - len(due), oldest_due_seconds=oldest)

    async def list(self, statuses: Sequence[str], limit: int) -> list[JobState]:
        return sorted((j for j in self._store.jobs.values() if j.status in statuses), key=lambda j: -j.id)[:limit]

    async def get(self, job_id: int) -> JobState | None:
        return self._store.jobs.get(job_id)

    async def requeue_failed(self, job_id: int, now: datetime) -> JobState | None:
        job = self._store.jobs.get(job_id)
        if job is None or job.status != FAILED:
            return None
        self._set(job_id, status=PENDING, attempts=1, due_at=now, lease_until=None, owner=None, done_at=None)
        return self._store.jobs[job_id]


class MemoryAway:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def active(self, people: Sequence[str], now: datetime) -> dict[str, str]:
        return {person: stand_in for person in people if person in self._store.away
                for stand_in, until in [self._store.away[person]] if until is None or until > now}

    async def set(self, user_id: str, stand_in: str, until: datetime | None, now: datetime) -> None:
        self._store.away[user_id] = (stand_in, until)

    async def clear(self, user_id: str) -> bool:
        return self._store.away.pop(user_id, None) is not None


class MemoryHomeViewers:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def opened(self, user_id: str, now: datetime) -> None:
        self._store.home_viewers[user_id] = now

    async def watching(self, people: Sequence[str], since: datetime) -> set[str]:
        return {person for person in people if self._store.home_viewers.get(person, since - timedelta(1)) >= since}


class MemoryFulfilment:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def add_plan(self, request_id: int, spec: Mapping[str, Any]) -> None:
        self._store.plans[request_id] = PlanRecord(request_id, dict(spec))

    async def plan(self, request_id: int, *, for_update: bool = False) -> PlanRecord | None:
        return self._store.plans.get(request_id)

    async def set_access(self, request_id: int, *, granted_at: datetime | None = None,
                         expires_at: datetime | None = None, ended_at: datetime | None = None,
                         ended_by: str | None = None) -> None:
        plan = self._store.plans[request_id]
        self._store.plans[request_id] = replace(
            plan, granted_at=granted_at or plan.granted_at, expires_at=expires_at or plan.expires_at,
            ended_at=ended_at or plan.ended_at, ended_by=ended_by or plan.ended_by)

    async def add_steps(self, steps: list[StepRecord]) -> None:
        for step in steps:
            self._store.steps[(step.request_id, step.phase, step.index)] = step

    async def steps(self, request_id: int) -> list[StepRecord]:
        return (await self.steps_of([request_id])).get(request_id, [])

    async def steps_of(self, request_ids: list[int]) -> dict[int, list[StepRecord]]:
        found: dict[int, list[StepRecord]] = {}
        for key in sorted(self._store.steps, key=lambda k: (k[0], k[1] != "approved", k[2])):
            if key[0] in request_ids:
                found.setdefault(key[0], []).append(self._store.steps[key])
        return found

    async def update_step(self, request_id: int, phase: str, index: int, now: datetime, *, status: str,
                          attempts: int | None = None, detail: Mapping[str, Any] | None = None,
                          result: Any = None) -> None:
        step = self._store.steps[(request_id, phase, index)]
        self._store.steps[(request_id, phase, index)] = replace(
            step, status=status, attempts=step.attempts if attempts is None else attempts,
            detail=step.detail if detail is None else detail, result=step.result if result is None else result,
            updated_at=now, finished_at=now if status in ("done", "failed") else None)
class MemoryServiceLevels:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, deadline: Deadline) -> None:
        self._store.deadlines.append(deadline)

    async def of_requests(self, request_ids: Sequence[int]) -> list[Deadline]:
        return [d for d in self._store.deadlines if d.request_id in request_ids]

    def _change(self, request_id: int, scope: str, step: int | None, changed: Any) -> bool:
        for index, deadline in enumerate(self._store.deadlines):
            if (deadline.request_id, deadline.scope, deadline.step) == (request_id, scope, step):
                new = changed(deadline)
                self._store.deadlines[index] = new or deadline
                return new is not None
        return False

    async def breach(self, request_id: int, scope: str, step: int | None, now: datetime) -> bool:
        return self._change(request_id, scope, step,
                            lambda d: replace(d, breached_at=now) if d.breached_at is None else None)

    async def reminded(self, request_id: int, step: int, number: int) -> bool:
        return self._change(request_id, "step", step,
                            lambda d: replace(d, reminders=number) if d.reminders == number - 1 else None)


class MemoryEscalations:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, new: NewEscalation, now: datetime) -> EscalationRecord:
        if new.request_id is not None and await self.open_for(new.request_id) is not None:
            raise AssertionError("a second open escalation for one request")
        record = EscalationRecord(len(self._store.escalations) + 1, new.request_id, new.requester_id, new.opened_by,
                                  new.reason, new.words, EscalationStatus.OPEN, None, None, new.history, now, now,
                                  None)
        self._store.escalations[record.id] = record
        return record

    async def get(self, escalation_id: int, *, for_update: bool = False) -> EscalationRecord | None:
        return self._store.escalations.get(escalation_id)

    async def open_for(self, request_id: int) -> EscalationRecord | None:
        return next((e for e in self._store.escalations.values() if e.request_id == request_id and e.is_open), None)

    async def of_request(self, request_id: int) -> list[EscalationRecord]:
        return [e for e in self._store.escalations.values() if e.request_id == request_id]

    async def save(self, escalation: EscalationRecord) -> EscalationRecord:
        self._store.escalations[escalation.id] = escalation
        return escalation

    async def set_post(self, escalation_id: int, side: str, post: Thread) -> None:
        current = self._store.escalations[escalation_id]
        self._store.escalations[escalation_id] = replace(current, support_post=post) if side == "support" \
            else replace(current, requester_post=post)

    async def by_thread(self, channel: str, ts: str) -> EscalationRecord | None:
        return next((e for e in self._store.escalations.values() if Thread(channel, ts) in
                     (e.support_post, e.requester_post)), None)

    async def open_ones(self, limit: int) -> list[EscalationRecord]:
        return [e for e in self._store.escalations.values() if e.is_open][:limit]


class MemorySeenEvents:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def first_time(self, event_id: str, now: datetime) -> bool:
        seen = event_id in self._store.seen_events
        self._store.seen_events.setdefault(event_id, now)
        return not seen

    async def purge(self, before: datetime, limit: int) -> int:
        old = [event_id for event_id, at in self._store.seen_events.items() if at < before][:limit]
        for event_id in old:
            del self._store.seen_events[event_id]
        return len(old)


class MemoryUnitOfWork:
    def __init__(self, database: MemoryDatabase) -> None:
        self._database = database
        self._work = copy.deepcopy(database.store)
        self.requests = MemoryRequests(self._work)
        self.jobs = MemoryJobs(self._work)
        self.away = MemoryAway(self._work)
        self.home_viewers = MemoryHomeViewers(self._work)
        self.fulfilment = MemoryFulfilment(self._work)
        self.service_levels = MemoryServiceLevels(self._work)
        self.escalations = MemoryEscalations(self._work)
        self.seen_events = MemorySeenEvents(self._work)
        self._now: datetime | None = None

    def now(self) -> datetime:
        if self._now is None:  # one clock per unit of work, as the real one
            self._now = self._database.tick()
        return self._now

    def audit(self, entry: AuditEntry) -> None:
        self._work.audit.append(entry)

    def enqueue(self, kind: str, request_id: int | None, payload: Mapping[str, Any], *,
                due_at: datetime | None = None, key: str | None = None) -> None:
        now = self.now()
        self.jobs.add(kind, request_id, dict(payload), max(due_at or now, now), key, now)

    async def __aenter__(self) -> MemoryUnitOfWork:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if exc_type is None:
            self._database.store = self._work


class MemoryDatabase:
    """The factory side: ``unit_of_work`` and ``reader`` for the service, ``audit`` as its sink."""

    def __init__(self) -> None:
        self.store = Store()
        self._clock = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def tick(self) -> datetime:
        self._clock += timedelta(seconds=1)
        return self._clock

    def unit_of_work(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)

    def queued(self, *, homes: bool = False) -> list[tuple[str, int | None, dict[str, Any]]]:
        """(kind, request id, payload) of every job enqueued, oldest first; Home tab refreshes
        (``home.refresh``, one per person a change concerns) only with ``homes``."""
        return [(job.kind, job.request_id, dict(job.payload)) for job in self.store.jobs.values()
                if homes or job.kind != HOME_REFRESH]

    async def audit(self, entry: AuditEntry) -> None:
        self.store.audit.append(entry)
