"""Events API deliveries processed, by event id: a retried delivery inserts nothing; the engine's
purge (``domain.job_purge``) deletes those older than Slack retries for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, bindparam, delete, select

from storage.driver import Transaction
from storage.driver.statement import InsertIgnore, Statement
from storage.models import SeenEventRow, table_of

SEEN = table_of(SeenEventRow)
REMEMBER = InsertIgnore(SEEN, ["event_id"], ["event_id", "seen_at"])
# As the jobs' purge (storage.repositories.job_statements): a bounded batch in a materialized CTE that
# skips rows another transaction holds, and RETURNING to count (sqlite3 has no rowcount after WITH).
_OLD = (select(SEEN.c.event_id).where(SEEN.c.seen_at < bindparam("before")).limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True).cte("old_events").prefix_with("MATERIALIZED", dialect="postgresql"))
PURGE = Statement(delete(SEEN).where(SEEN.c.event_id.in_(select(_OLD.c.event_id))).returning(SEEN.c.event_id))


class SeenEventRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def first_time(self, event_id: str, now: datetime) -> bool:
        """One statement that waits for a concurrent insert of the same id (PostgreSQL's unique
        index) and then inserts nothing: of two deliveries at once, exactly one is first."""
        return await self._db.run(REMEMBER, {"event_id": event_id, "seen_at": now}) == 1

    async def purge(self, before: datetime, limit: int) -> int:
        """Forget up to ``limit`` deliveries seen before ``before``; how many."""
        return len(await self._db.rows(PURGE, {"before": before, "limit": limit}))
