"""The transactional outbox: jobs are written with the change that causes them and claimed
with a lease, so several processes can drain one table and a crashed worker's jobs return."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy import and_, bindparam, func, insert, or_, select, update

from storage.repositories import Executor
from storage.models import OutboxRow
from storage.records import NewOutboxJob, OutboxJob

PENDING, DONE, FAILED = "pending", "done", "failed"
OUTBOX = OutboxRow.__table__
INSERT_JOBS = insert(OUTBOX).returning(OUTBOX.c.id, OUTBOX.c.kind, OUTBOX.c.request_id, OUTBOX.c.payload,
                                       OUTBOX.c.attempts, sort_by_parameter_order=True)
COMPLETE = (update(OUTBOX).where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
            .values(status=DONE, done_at=bindparam("now"), lease_until=None))


class OutboxRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def enqueue(self, jobs: Sequence[NewOutboxJob], now: datetime,
                      lease_until: datetime | None = None) -> list[OutboxJob]:
        """Insert ``jobs`` in one statement. With ``lease_until`` they are born claimed (one
        attempt counted) by the caller, who delivers them itself without a claim round trip."""
        if not jobs:
            return []
        claimed = lease_until is not None
        rows = await self._db.execute(INSERT_JOBS, [{"kind": job.kind, "request_id": job.request_id, "payload": dict(job.payload), "status": PENDING,
              "attempts": int(claimed), "available_at": now, "lease_until": lease_until, "created_at": now}
             for job in jobs])
        return [OutboxJob(id=r.id, kind=r.kind, request_id=r.request_id, payload=r.payload, attempts=r.attempts)
                for r in rows]

    async def claim(self, now: datetime, lease: timedelta, limit: int) -> list[OutboxJob]:
        """Lease up to ``limit`` due jobs to the caller, oldest first."""
        due = select(OutboxRow.id).where(
            OutboxRow.status == PENDING,
            OutboxRow.available_at <= now,
            or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
        )
        due = due.order_by(OutboxRow.id).limit(limit).with_for_update(skip_locked=True)
        claimed = await self._db.execute(
            update(OutboxRow)
            .where(and_(OutboxRow.id.in_(due.scalar_subquery()), OutboxRow.status == PENDING))
            .values(lease_until=now + lease, attempts=OutboxRow.attempts + 1)
            .returning(OutboxRow.id, OutboxRow.kind, OutboxRow.request_id, OutboxRow.payload, OutboxRow.attempts)
        )
        jobs = [OutboxJob(id=r.id, kind=r.kind, request_id=r.request_id, payload=r.payload, attempts=r.attempts)
                for r in claimed]
        return sorted(jobs, key=lambda job: job.id)

    async def complete(self, job_ids: Sequence[int], now: datetime) -> None:
        if job_ids:
            await self._db.execute(COMPLETE, {"ids": list(job_ids), "now": now})

    async def fail(self, job_id: int, now: datetime, error: str) -> None:
        await self._db.execute(
            update(OutboxRow).where(OutboxRow.id == job_id)
            .values(status=FAILED, done_at=now, lease_until=None, last_error=error[:2000]))

    async def retry_later(self, job_id: int, at: datetime, error: str) -> None:
        await self._db.execute(
            update(OutboxRow)
            .where(OutboxRow.id == job_id)
            .values(available_at=at, lease_until=None, last_error=error[:2000])
        )

    async def release(self, job_ids: Sequence[int]) -> None:
        """Give claimed jobs back without counting an attempt (graceful shutdown)."""
        await self._db.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(job_ids), OutboxRow.status == PENDING)
            .values(lease_until=None, attempts=OutboxRow.attempts - 1)
        )

    async def due_count(self, now: datetime) -> int:
        """Jobs that should be delivering now, claimed or not (health and tests)."""
        query = select(func.count()).select_from(OutboxRow).where(
            OutboxRow.status == PENDING, OutboxRow.available_at <= now)
        return (await self._db.execute(query)).scalar_one()
