"""Who opened their App Home tab, and when they last did."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import String, bindparam, select

from storage.driver import Transaction
from storage.driver.statement import PerSize, Upsert, numbered, numbered_chunks
from storage.models import HomeViewerRow, table_of

VIEWERS = table_of(HomeViewerRow)
OPENED = Upsert(VIEWERS, ["user_id"], ["user_id", "opened_at"])
WATCHING = PerSize(lambda size: select(VIEWERS.c.user_id).where(
    VIEWERS.c.user_id.in_([bindparam(name, type_=String) for name in numbered("user", size)]),
    VIEWERS.c.opened_at >= bindparam("since")))


class HomeViewerRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def opened(self, user_id: str, now: datetime) -> None:
        await self._db.run(OPENED, {"user_id": user_id, "opened_at": now})

    async def watching(self, people: Sequence[str], since: datetime) -> set[str]:
        found: set[str] = set()
        for size, names in numbered_chunks("user", people):
            found.update(row.user_id for row in await self._db.rows(WATCHING(size), {"since": since, **names}))
        return found
