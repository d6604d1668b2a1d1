"""Aggregates for ``/metrics`` (``domain.gauges``): one grouped query each."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import String, bindparam, func, select

from domain.gauges import QueueDepth
from domain.jobs import PENDING
from storage.driver import Transaction
from storage.driver.statement import Statement
from storage.models import AuditEventRow, JobRow, RequestRow, UTCDateTime, table_of

REQUESTS = table_of(RequestRow)
JOBS = table_of(JobRow)
AUDIT = table_of(AuditEventRow)
BY_STATE = Statement(select(REQUESTS.c.action_id, REQUESTS.c.status, func.count().label("n"))
                     .group_by(REQUESTS.c.action_id, REQUESTS.c.status))
QUEUE = Statement(select(JOBS.c.kind, func.count().label("n"), func.min(JOBS.c.due_at).label("oldest"))
                  .where(JOBS.c.status == PENDING, JOBS.c.due_at <= bindparam("now", type_=UTCDateTime()))
                  .group_by(JOBS.c.kind))
COUNT_OF_KIND = Statement(select(func.count().label("n")).where(AUDIT.c.kind == bindparam("kind", type_=String)))


class GaugeRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def requests_by_state(self) -> dict[tuple[str, str], int]:
        return {(r.action_id, r.status): int(r.n) for r in await self._db.rows(BY_STATE)}

    async def queue_by_kind(self, now: datetime) -> dict[str, QueueDepth]:
        found = {}
        for r in await self._db.rows(QUEUE, {"now": now}):
            found[r.kind] = QueueDepth(int(r.n), max((now - r.oldest).total_seconds(), 0.0) if r.oldest else 0.0)
        return found

    async def audit_counts(self, kinds: Collection[str]) -> dict[str, int]:
        """Audit events of each of ``kinds`` (one index range each: ``ix_audit_events_kind_time``)."""
        return {kind: int((await self._db.rows(COUNT_OF_KIND, {"kind": kind}))[0].n) for kind in kinds}
