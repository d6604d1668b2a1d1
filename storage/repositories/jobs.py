"""The job table: written with the change that causes the work, claimed with leases.

Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (several processes drain one table without
waiting on each other; SQLite has one writer, so the clause is dropped there) and count an
attempt. Every outcome is written only ``WHERE attempts`` still equals the claim's count: a
worker whose lease ran out and whose job was taken over cannot record over the new claim.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from domain.jobs import PENDING
from domain.ports import JobStats
from domain.records import Job, JobState, NewJob
from storage.driver import Transaction, first, insert_many
from storage.driver.statement import numbered, padded
from storage.repositories.job_statements import (
    CANCEL,
    CHANNEL,
    CLAIM,
    COMPLETE,
    ERROR_KEPT,
    FAIL,
    GET,
    IDS_PER_STATEMENT,
    INSERT_JOBS,
    LIST,
    LIST_UNCLAIMED,
    NEXT_DUE,
    NOTIFY,
    PURGE,
    RELEASE,
    RELEASE_COUNTED,
    REQUEUE,
    RETRY_LATER,
    STATS,
    TAKE_CHORE,
    UNCLAIMED,
)

T = TypeVar("T")

def _named(name: str, values: Sequence[Any]) -> dict[str, Any]:
    """The parameters of a ``PerSize`` statement's ``name_0 … name_n``."""
    return dict(zip(numbered(name, len(values)), values, strict=True))


def _chunks(items: Sequence[T]) -> list[list[T]]:
    """``items`` in ``padded`` chunks for ``IN`` lists and ``OR``s of the same term."""
    return [padded(items[i:i + IDS_PER_STATEMENT], IDS_PER_STATEMENT) for i in range(0, len(items), IDS_PER_STATEMENT)]


def _job(row: Any) -> Job:
    return Job(id=row.id, kind=row.kind, key=row.key, request_id=row.request_id, payload=row.payload,
               attempts=row.attempts, due_at=row.due_at, throttled=row.throttled)


def _state(row: Any) -> JobState:
    return JobState(id=row.id, kind=row.kind, key=row.key, request_id=row.request_id, payload=row.payload,
                    status=row.status,
                    attempts=row.attempts, due_at=row.due_at, lease_until=row.lease_until, owner=row.owner,
                    last_error=row.last_error, created_at=row.created_at, done_at=row.done_at)


def new_key() -> str:
    return uuid.uuid4().hex


class JobRepository:
    def __init__(self, db: Transaction, *, signals: bool = False) -> None:
        """``signals``: the database can wake other processes' runners (PostgreSQL's NOTIFY)."""
        self._db = db
        self._signals = signals

    async def enqueue(self, jobs: Sequence[NewJob], now: datetime, owner: str | None = None,
                      lease_until: datetime | None = None, kinds: Collection[str] = ()) -> list[Job]:
        """Insert ``jobs`` in as few statements as possible. Jobs due now of the ``kinds`` ``owner``
        runs are born claimed by it until ``lease_until`` when given (one attempt counted): the caller
        runs them itself the moment the transaction commits, without a claim round trip."""
        if not jobs:
            return []
        rows, made = [], []
        for job in jobs:
            due_at = now if job.due_at is None or job.due_at < now else job.due_at
            claimed = lease_until is not None and due_at == now and job.kind in kinds
            made.append(Job(id=0, kind=job.kind, key=job.key or new_key(), request_id=job.request_id,
                            payload=dict(job.payload), attempts=int(claimed), due_at=due_at, throttled=0))
            rows.append({"kind": job.kind, "key": made[-1].key, "request_id": job.request_id,
                         "payload": made[-1].payload, "status": PENDING, "attempts": int(claimed), "throttled": 0,
                         "due_at": due_at, "lease_until": lease_until if claimed else None,
                         "owner": owner if claimed else None, "created_at": now})
        ids = {row.key: row.id for row in await insert_many(self._db, INSERT_JOBS, rows)}  # keys are unique
        return [replace(job, id=ids[job.key]) for job in made]  # in the order of `jobs`, as their ids

    async def notify(self) -> None:
        """Wake idle workers of every process (PostgreSQL delivers it when the transaction commits;
        SQLite has no such signal: nothing is sent)."""
        if self._signals:
            await self._db.rows(NOTIFY, {"channel": CHANNEL})

    async def claim(self, now: datetime, lease: timedelta, owner: str, limit: int,
                    kinds: Sequence[str] = ()) -> list[Job]:
        params = {"now": now, "limit": limit, "lease_until": now + lease, "owner": owner[:64], **_named("kind", kinds)}
        rows = await self._db.rows(CLAIM(len(kinds)), params)
        return sorted(map(_job, rows), key=lambda job: (job.due_at, job.id))

    async def complete(self, jobs: Sequence[Job], now: datetime) -> set[int]:
        completed: set[int] = set()
        for chunk in _chunks(jobs):
            params: dict[str, Any] = {"now": now}
            for job, id_name, attempts_name in zip(chunk, numbered("id", len(chunk)),
                                                   numbered("attempts", len(chunk)), strict=True):
                params[id_name], params[attempts_name] = job.id, job.attempts
            completed |= {row.id for row in await self._db.rows(COMPLETE(len(chunk)), params)}
        return completed

    async def retry_later(self, job: Job, at: datetime, error: str, *, counted: bool = True) -> bool:
        params = {"job_id": job.id, "attempts": job.attempts, "at": at, "error": error[:ERROR_KEPT],
                  "uncounted": 0 if counted else 1}
        return await self._db.run(RETRY_LATER, params) == 1

    async def fail(self, job: Job, now: datetime, error: str) -> bool:
        params = {"job_id": job.id, "attempts": job.attempts, "now": now, "error": error[:ERROR_KEPT]}
        return await self._db.run(FAIL, params) == 1

    async def release(self, job_ids: Sequence[int], owner: str, *, keep_attempt: bool) -> None:
        """Jobs given back are due at once: other processes are woken to take them."""
        statement = RELEASE_COUNTED if keep_attempt else RELEASE
        released = 0
        for chunk in _chunks(job_ids):
            params = {"owner": owner[:64], **dict(zip(numbered("id", len(chunk)), chunk, strict=True))}
            released += await self._db.run(statement(len(chunk)), params)
        if released:
            await self.notify()

    async def take_chore(self, name: str, now: datetime, next_due: datetime) -> bool:
        """Whether this process runs chore ``name`` now: it is due, and nobody took it first
        (the row's due time moves to ``next_due`` in the same statement)."""
        return await self._db.run(TAKE_CHORE, {"name": name, "now": now, "next": next_due}) == 1

    async def purge(self, done_before: datetime, failed_before: datetime, limit: int) -> int:
        """Delete up to ``limit`` jobs that finished (done or cancelled) before ``done_before`` or
        failed before ``failed_before``; how many."""
        params = {"done_before": done_before, "failed_before": failed_before, "limit": limit}
        return len(await self._db.rows(PURGE, params))

    async def cancel(self, request_id: int, kind_prefix: str, now: datetime) -> int:
        escaped = kind_prefix.replace("/", "//").replace("%", "/%").replace("_", "/_")  # LIKE is literal
        return await self._db.run(CANCEL, {"rid": request_id, "prefix": escaped, "now": now})

    async def next_due(self, kinds: Sequence[str] = ()) -> datetime | None:
        row = await first(self._db, NEXT_DUE(len(kinds)), _named("kind", kinds))
        return None if row is None else row.at

    async def unclaimed(self, before: datetime) -> dict[str, int]:
        return {row.kind: int(row.jobs) for row in await self._db.rows(UNCLAIMED, {"before": before})}

    async def list_unclaimed(self, before: datetime, limit: int) -> list[JobState]:
        return [_state(row) for row in await self._db.rows(LIST_UNCLAIMED, {"before": before, "limit": limit})]

    async def stats(self, now: datetime) -> JobStats:
        row = await first(self._db, STATS, {"now": now})
        assert row is not None  # an aggregate always has a row
        oldest = 0.0 if row.oldest is None or row.oldest > now else (now - row.oldest).total_seconds()
        return JobStats(due=int(row.due), scheduled=int(row.scheduled), oldest_due_seconds=oldest)

    async def due_count(self, now: datetime) -> int:
        """Jobs that should be running now, claimed or not (tests settle on it)."""
        return (await self.stats(now)).due

    async def list(self, statuses: Sequence[str], limit: int) -> list[JobState]:
        params: dict[str, Any] = {"limit": limit, **_named("status", statuses)}
        return [_state(row) for row in await self._db.rows(LIST(len(statuses)), params)]

    async def get(self, job_id: int) -> JobState | None:
        row = await first(self._db, GET, {"job_id": job_id})
        return None if row is None else _state(row)

    async def requeue_failed(self, job_id: int, now: datetime) -> JobState | None:
        """The job is due at once, and whatever process runs its kind is woken for it."""
        row = await first(self._db, REQUEUE, {"job_id": job_id, "now": now})
        if row is None:
            return None
        await self.notify()
        return _state(row)
