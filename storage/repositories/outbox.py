"""The transactional outbox: jobs are written with the change that causes them and claimed
with a lease, so several processes can drain one table and a crashed worker's jobs return."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, bindparam, func, or_, select, update

from domain.records import NewOutboxJob, OutboxJob
from storage.driver import Transaction, insert_many
from storage.driver.statement import InsertMany, PerSize, Statement, numbered
from storage.models import OutboxRow, table_of

PENDING, DONE, FAILED = "pending", "done", "failed"
OUTBOX = table_of(OutboxRow)
JOB_COLUMNS = (OUTBOX.c.id, OUTBOX.c.kind, OUTBOX.c.request_id, OUTBOX.c.payload, OUTBOX.c.attempts)
INSERT_JOBS = InsertMany(OUTBOX, ["kind", "request_id", "payload", "status", "attempts", "available_at",
                                  "lease_until", "created_at"],
                         returning=[column.key for column in JOB_COLUMNS])
_DUE = (select(OUTBOX.c.id)
        .where(OUTBOX.c.status == PENDING, OUTBOX.c.available_at <= bindparam("now"),
               or_(OUTBOX.c.lease_until.is_(None), OUTBOX.c.lease_until < bindparam("now")))
        .order_by(OUTBOX.c.id).limit(bindparam("limit", type_=Integer)).with_for_update(skip_locked=True))
CLAIM = Statement(update(OUTBOX)
                  .where(and_(OUTBOX.c.id.in_(_DUE.scalar_subquery()), OUTBOX.c.status == PENDING))
                  .values(lease_until=bindparam("lease_until"), attempts=OUTBOX.c.attempts + 1)
                  .returning(*JOB_COLUMNS))
_BY_ID = OUTBOX.c.id == bindparam("job_id")
IDS_PER_STATEMENT = 100


def _id_in(size: int) -> Any:
    return OUTBOX.c.id.in_([bindparam(name, type_=Integer) for name in numbered("id", size)])


COMPLETE = PerSize(lambda size: update(OUTBOX).where(_id_in(size))
                   .values(status=DONE, done_at=bindparam("now"), lease_until=None))
FAIL = Statement(update(OUTBOX).where(_BY_ID).values(status=FAILED, done_at=bindparam("now"), lease_until=None,
                                                     last_error=bindparam("error")))
RETRY_LATER = Statement(update(OUTBOX).where(_BY_ID).values(available_at=bindparam("at"), lease_until=None,
                                                            last_error=bindparam("error")))
RELEASE = PerSize(lambda size: update(OUTBOX).where(_id_in(size), OUTBOX.c.status == PENDING)
                  .values(lease_until=None, attempts=OUTBOX.c.attempts - 1))
DUE_COUNT = Statement(select(func.count().label("due")).select_from(OUTBOX)
                      .where(OUTBOX.c.status == PENDING, OUTBOX.c.available_at <= bindparam("now")))


def _chunks(job_ids: Sequence[int]) -> list[Sequence[int]]:
    return [job_ids[i:i + IDS_PER_STATEMENT] for i in range(0, len(job_ids), IDS_PER_STATEMENT)]


def _ids(job_ids: Sequence[int]) -> dict[str, int]:
    return dict(zip(numbered("id", len(job_ids)), job_ids, strict=True))


def _job(row: Any) -> OutboxJob:
    return OutboxJob(id=row.id, kind=row.kind, request_id=row.request_id, payload=row.payload, attempts=row.attempts)


class OutboxRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def enqueue(self, jobs: Sequence[NewOutboxJob], now: datetime,
                      lease_until: datetime | None = None) -> list[OutboxJob]:
        """Insert ``jobs`` in one statement. With ``lease_until`` they are born claimed (one
        attempt counted) by the caller, who delivers them itself without a claim round trip."""
        if not jobs:
            return []
        claimed = lease_until is not None
        rows = await insert_many(self._db, INSERT_JOBS, [
            {"kind": job.kind, "request_id": job.request_id, "payload": dict(job.payload), "status": PENDING,
             "attempts": int(claimed), "available_at": now, "lease_until": lease_until, "created_at": now}
            for job in jobs])
        return sorted(map(_job, rows), key=lambda job: job.id)  # ids follow the order of `jobs`

    async def claim(self, now: datetime, lease: timedelta, limit: int) -> list[OutboxJob]:
        """Lease up to ``limit`` due jobs to the caller, oldest first."""
        claimed = await self._db.rows(CLAIM, {"now": now, "limit": limit, "lease_until": now + lease})
        return sorted(map(_job, claimed), key=lambda job: job.id)

    async def complete(self, job_ids: Sequence[int], now: datetime) -> None:
        for chunk in _chunks(job_ids):
            await self._db.run(COMPLETE(len(chunk)), {"now": now, **_ids(chunk)})

    async def fail(self, job_id: int, now: datetime, error: str) -> None:
        await self._db.run(FAIL, {"job_id": job_id, "now": now, "error": error[:2000]})

    async def retry_later(self, job_id: int, at: datetime, error: str) -> None:
        await self._db.run(RETRY_LATER, {"job_id": job_id, "at": at, "error": error[:2000]})

    async def release(self, job_ids: Sequence[int]) -> None:
        """Give claimed jobs back without counting an attempt (graceful shutdown)."""
        for chunk in _chunks(job_ids):
            await self._db.run(RELEASE(len(chunk)), _ids(chunk))

    async def due_count(self, now: datetime) -> int:
        """Jobs that should be delivering now, claimed or not (health and tests)."""
        return int((await self._db.rows(DUE_COUNT, {"now": now}))[0].due)
