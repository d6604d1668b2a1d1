"""The transactional outbox: jobs are written with the change that causes them and claimed
with a lease, so several processes can drain one table and a crashed worker's jobs return."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxRow
from storage.records import OutboxJob

PENDING, DONE, FAILED = "pending", "done", "failed"


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def enqueue(self, kind: str, request_id: int | None, payload: Mapping[str, Any], now: datetime) -> int:
        row = OutboxRow(
            kind=kind,
            request_id=request_id,
            payload=dict(payload),
            status=PENDING,
            attempts=0,
            available_at=now,
            lease_until=None,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def claim(
        self, now: datetime, lease: timedelta, limit: int, ids: Sequence[int] | None = None
    ) -> list[OutboxJob]:
        """Lease up to ``limit`` due jobs (only ``ids`` if given) to the caller, oldest first."""
        due = select(OutboxRow.id).where(
            OutboxRow.status == PENDING,
            OutboxRow.available_at <= now,
            or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
        )
        if ids is not None:
            due = due.where(OutboxRow.id.in_(ids))
        due = due.order_by(OutboxRow.id).limit(limit).with_for_update(skip_locked=True)
        claimed = await self._session.execute(
            update(OutboxRow)
            .where(and_(OutboxRow.id.in_(due.scalar_subquery()), OutboxRow.status == PENDING))
            .values(lease_until=now + lease, attempts=OutboxRow.attempts + 1)
            .returning(OutboxRow.id, OutboxRow.kind, OutboxRow.request_id, OutboxRow.payload, OutboxRow.attempts)
            .execution_options(synchronize_session=False)
        )
        jobs = [OutboxJob(id=r.id, kind=r.kind, request_id=r.request_id, payload=r.payload, attempts=r.attempts)
                for r in claimed]
        return sorted(jobs, key=lambda job: job.id)

    async def complete(self, job_id: int, now: datetime) -> None:
        await self._finish(job_id, DONE, now, None)

    async def fail(self, job_id: int, now: datetime, error: str) -> None:
        await self._finish(job_id, FAILED, now, error)

    async def retry_later(self, job_id: int, at: datetime, error: str) -> None:
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == job_id)
            .values(available_at=at, lease_until=None, last_error=error[:2000])
        )

    async def release(self, job_ids: Sequence[int]) -> None:
        """Give claimed jobs back without counting an attempt (graceful shutdown)."""
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(job_ids), OutboxRow.status == PENDING)
            .values(lease_until=None, attempts=OutboxRow.attempts - 1)
        )

    async def _finish(self, job_id: int, status: str, now: datetime, error: str | None) -> None:
        values: dict[str, Any] = {"status": status, "done_at": now, "lease_until": None}
        if error is not None:
            values["last_error"] = error[:2000]
        await self._session.execute(update(OutboxRow).where(OutboxRow.id == job_id).values(**values))

    async def due_count(self, now: datetime) -> int:
        """Jobs that should be delivering now, claimed or not (health and tests)."""
        query = select(func.count()).select_from(OutboxRow).where(
            OutboxRow.status == PENDING, OutboxRow.available_at <= now)
        return (await self._session.execute(query)).scalar_one()
