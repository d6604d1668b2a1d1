"""The job table: written with the change that causes the work, claimed with leases.

Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (several processes drain one table without
waiting on each other; SQLite has one writer, so the clause is dropped there) and count an
attempt. Every outcome is written only ``WHERE attempts`` still equals the claim's count: a
worker whose lease ran out and whose job was taken over cannot record over the new claim.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, case, delete, func, or_, select, update

from domain.jobs import CANCELLED, DONE, FAILED, PENDING
from domain.ports import JobStats
from domain.records import Job, JobState, NewJob
from storage.driver import Transaction, first, insert_many
from storage.driver.statement import InsertMany, PerSize, Statement, numbered
from storage.models import JobChoreRow, JobRow, table_of

JOBS = table_of(JobRow)
CHORES = table_of(JobChoreRow)
JOB_COLUMNS = (JOBS.c.id, JOBS.c.kind, JOBS.c.key, JOBS.c.request_id, JOBS.c.payload, JOBS.c.attempts,
               JOBS.c.due_at, JOBS.c.throttled)
ERROR_KEPT = 2000  # characters of a failure kept in last_error
IDS_PER_STATEMENT = 100
CHANNEL = "selfserve_jobs"  # PostgreSQL NOTIFY channel that wakes idle workers

INSERT_JOBS = InsertMany(JOBS, ["kind", "key", "request_id", "payload", "status", "attempts", "throttled",
                                "due_at", "lease_until", "owner", "created_at"],
                         returning=[column.key for column in JOB_COLUMNS])


_CLAIM_OF_JOB = and_(JOBS.c.id == bindparam("job_id"), JOBS.c.attempts == bindparam("attempts", type_=Integer),
                     JOBS.c.status == PENDING)


def _claims(size: int) -> Any:
    """``(id = :id_0 AND attempts = :attempts_0) OR …``: each job still under the caller's claim."""
    return or_(*(and_(JOBS.c.id == bindparam(job_id, type_=Integer),
                      JOBS.c.attempts == bindparam(attempts, type_=Integer))
                 for job_id, attempts in zip(numbered("id", size), numbered("attempts", size), strict=True)))


def _ids_in(size: int) -> Any:
    return JOBS.c.id.in_([bindparam(name, type_=Integer) for name in numbered("id", size)])


def _in(column: Any, name: str, size: int) -> Any:
    return column.in_([bindparam(each, type_=String) for each in numbered(name, size)])


def _claimable(kinds: int) -> Any:
    """Pending, due, not leased (or its lease ran out), and of one of ``kinds`` kinds (0: any kind)."""
    return and_(JOBS.c.status == PENDING, JOBS.c.due_at <= bindparam("now"),
                or_(JOBS.c.lease_until.is_(None), JOBS.c.lease_until < bindparam("now")),
                *([_in(JOBS.c.kind, "kind", kinds)] if kinds else []))


def _claim(kinds: int) -> Any:
    """The due rows are picked in a CTE that PostgreSQL must materialize: as an ``IN (subquery)``
    it may run the subquery again for every row it updates, each run skipping the rows the
    earlier ones locked, so the batch grew past its ``LIMIT`` (up to every due job)."""
    due = (select(JOBS.c.id).where(_claimable(kinds)).order_by(JOBS.c.due_at, JOBS.c.id)
           .limit(bindparam("limit", type_=Integer)).with_for_update(skip_locked=True)
           .cte("due").prefix_with("MATERIALIZED", dialect="postgresql"))
    return (update(JOBS).where(JOBS.c.id.in_(select(due.c.id)), _claimable(kinds))
            .values(lease_until=bindparam("lease_until"), owner=bindparam("owner", type_=String),
                    attempts=JOBS.c.attempts + 1)
            .returning(*JOB_COLUMNS))


CLAIM = PerSize(_claim)
COMPLETE = PerSize(lambda size: update(JOBS).where(_claims(size), JOBS.c.status == PENDING)
                   .values(status=DONE, done_at=bindparam("now"), lease_until=None).returning(JOBS.c.id))
FAIL = Statement(update(JOBS).where(_CLAIM_OF_JOB).values(
    status=FAILED, done_at=bindparam("now"), lease_until=None, last_error=bindparam("error")))
RETRY_LATER = Statement(update(JOBS).where(_CLAIM_OF_JOB).values(
    due_at=bindparam("at"), lease_until=None, last_error=bindparam("error"),
    throttled=JOBS.c.throttled + bindparam("uncounted", type_=Integer)))
# Only what the owner still holds: a job released already, or claimed by someone else since, is left alone
# (a second release would undo an attempt another claim counted).
_HELD = and_(JOBS.c.status == PENDING, JOBS.c.lease_until.is_not(None),
             JOBS.c.owner == bindparam("owner", type_=String))
RELEASE = PerSize(lambda size: update(JOBS).where(_ids_in(size), _HELD)
                  .values(lease_until=None, attempts=JOBS.c.attempts - 1))
RELEASE_COUNTED = PerSize(lambda size: update(JOBS).where(_ids_in(size), _HELD).values(lease_until=None))
CANCEL = Statement(update(JOBS).where(JOBS.c.request_id == bindparam("rid"), JOBS.c.status == PENDING,
                                      JOBS.c.kind.startswith(bindparam("prefix", type_=String), escape="/"))
                   .values(status=CANCELLED, done_at=bindparam("now"), lease_until=None))
NEXT_DUE = PerSize(lambda kinds: select(func.min(func.coalesce(JOBS.c.lease_until, JOBS.c.due_at)).label("at"))
                   .where(JOBS.c.status == PENDING, *([_in(JOBS.c.kind, "kind", kinds)] if kinds else [])))
# Due before a moment and not held by anyone since: nobody has claimed these (no process runs their kind, or
# the queue is that far behind).
_UNCLAIMED = and_(JOBS.c.status == PENDING, JOBS.c.due_at <= bindparam("before"),
                  or_(JOBS.c.lease_until.is_(None), JOBS.c.lease_until <= bindparam("before")))
UNCLAIMED = Statement(select(JOBS.c.kind, func.count().label("jobs")).where(_UNCLAIMED).group_by(JOBS.c.kind))
LIST_UNCLAIMED = Statement(select(JOBS).where(_UNCLAIMED).order_by(JOBS.c.id.desc())
                           .limit(bindparam("limit", type_=Integer)))
_IS_DUE = JOBS.c.due_at <= bindparam("now")
STATS = Statement(select(func.count(case((_IS_DUE, 1))).label("due"),
                         func.count(case((_IS_DUE, None), else_=1)).label("scheduled"),
                         func.min(JOBS.c.due_at).label("oldest"))
                  .where(JOBS.c.status == PENDING))
LIST = PerSize(lambda size: select(JOBS).where(_in(JOBS.c.status, "status", size))
               .order_by(JOBS.c.id.desc()).limit(bindparam("limit", type_=Integer)))
GET = Statement(select(JOBS).where(JOBS.c.id == bindparam("job_id", type_=Integer)))
REQUEUE = Statement(update(JOBS).where(JOBS.c.id == bindparam("job_id"), JOBS.c.status == FAILED)
                    # attempts=1, not 0: the next claim is attempt 2, so its handler looks for what the
                    # failed attempts may have done (a DM Slack stored before failing) before acting again
                    .values(status=PENDING, attempts=1, throttled=0, due_at=bindparam("now"), lease_until=None,
                            owner=None, done_at=None).returning(*JOBS.c))
TAKE_CHORE = Statement(update(CHORES).where(CHORES.c.name == bindparam("name", type_=String),
                                           CHORES.c.due_at <= bindparam("now"))
                       .values(due_at=bindparam("next")))
_FINISHED = or_(and_(or_(JOBS.c.status == DONE, JOBS.c.status == CANCELLED),
                     JOBS.c.done_at < bindparam("done_before")),
                and_(JOBS.c.status == FAILED, JOBS.c.done_at < bindparam("failed_before")))
# A materialized CTE for the reason given at _claim; SKIP LOCKED: a row someone holds is left for the next run.
_PURGEABLE = (select(JOBS.c.id).where(_FINISHED).limit(bindparam("limit", type_=Integer))
              .with_for_update(skip_locked=True).cte("purgeable").prefix_with("MATERIALIZED", dialect="postgresql"))
# RETURNING, to count: Python's sqlite3 reports no rowcount for a statement that starts with WITH.
PURGE = Statement(delete(JOBS).where(JOBS.c.id.in_(select(_PURGEABLE.c.id))).returning(JOBS.c.id))
NOTIFY = Statement(select(func.pg_notify(bindparam("channel", type_=String), "").label("notified")))


def _named(name: str, values: Sequence[Any]) -> dict[str, Any]:
    """The parameters of a ``PerSize`` statement's ``name_0 … name_n``."""
    return dict(zip(numbered(name, len(values)), values, strict=True))


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i:i + IDS_PER_STATEMENT] for i in range(0, len(items), IDS_PER_STATEMENT)]


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
        rows = []
        for job in jobs:
            due_at = now if job.due_at is None or job.due_at < now else job.due_at
            claimed = lease_until is not None and due_at == now and job.kind in kinds
            rows.append({"kind": job.kind, "key": job.key or new_key(), "request_id": job.request_id,
                         "payload": dict(job.payload), "status": PENDING, "attempts": int(claimed), "throttled": 0,
                         "due_at": due_at, "lease_until": lease_until if claimed else None,
                         "owner": owner if claimed else None, "created_at": now})
        inserted = await insert_many(self._db, INSERT_JOBS, rows)
        return sorted(map(_job, inserted), key=lambda job: job.id)  # ids follow the order of `jobs`

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
