"""Events API deliveries processed, by event id: a retried delivery inserts nothing."""

from __future__ import annotations

from datetime import datetime

from storage.driver import Transaction
from storage.driver.statement import InsertIgnore
from storage.models import SeenEventRow, table_of

SEEN = table_of(SeenEventRow)
REMEMBER = InsertIgnore(SEEN, ["event_id"], ["event_id", "seen_at"])


class SeenEventRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def first_time(self, event_id: str, now: datetime) -> bool:
        """One statement that waits for a concurrent insert of the same id (PostgreSQL's unique
        index) and then inserts nothing: of two deliveries at once, exactly one is first."""
        return await self._db.run(REMEMBER, {"event_id": event_id, "seen_at": now}) == 1
