"""Absences: one row per person who is away."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import String, bindparam, delete, or_, select

from storage.driver import Transaction
from storage.driver.statement import PerSize, Statement, insert_into, numbered, numbered_chunks
from storage.models import AwayRow, table_of

AWAY = table_of(AwayRow)
ACTIVE = PerSize(lambda size: select(AWAY.c.user_id, AWAY.c.stand_in).where(
    AWAY.c.user_id.in_([bindparam(name, type_=String) for name in numbered("user", size)]),
    or_(AWAY.c.until.is_(None), AWAY.c.until > bindparam("now"))))
CLEAR = Statement(delete(AWAY).where(AWAY.c.user_id == bindparam("user_id", type_=String)))
INSERT = insert_into(AWAY, ["user_id", "stand_in", "until", "created_at"])


class AwayRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def active(self, people: Sequence[str], now: datetime) -> dict[str, str]:
        found: dict[str, str] = {}
        for size, names in numbered_chunks("user", people):
            rows = await self._db.rows(ACTIVE(size), {"now": now, **names})
            found.update({row.user_id: row.stand_in for row in rows})
        return found

    async def set(self, user_id: str, stand_in: str, until: datetime | None, now: datetime) -> None:
        await self._db.run(CLEAR, {"user_id": user_id})
        await self._db.run(INSERT, {"user_id": user_id, "stand_in": stand_in, "until": until, "created_at": now})

    async def clear(self, user_id: str) -> bool:
        return await self._db.run(CLEAR, {"user_id": user_id}) > 0
