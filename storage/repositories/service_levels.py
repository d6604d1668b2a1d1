"""Requests' service-level clocks (``domain.records.Deadline``).

A breach and a reminder are each recorded by one conditional UPDATE (not breached yet; the
reminder count still one short), so a timer run twice, by a retry or by two processes, changes
the row once and the second run learns it has nothing to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, insert, select, update

from domain.records import Deadline
from storage.driver import Transaction
from storage.driver.statement import PerSize, Statement, numbered, numbered_chunks
from storage.models import ServiceLevelRow, table_of

LEVELS = table_of(ServiceLevelRow)
ADD = Statement(insert(LEVELS).values(
    request_id=bindparam("request_id"), scope=bindparam("scope", type_=String), step=bindparam("step"),
    due_at=bindparam("due_at"), started_at=bindparam("started_at"), breached_at=None, reminders=0))
OF_REQUESTS = PerSize(lambda size: select(LEVELS).where(
    LEVELS.c.request_id.in_([bindparam(name, type_=Integer) for name in numbered("request", size)]))
    .order_by(LEVELS.c.id))


def _this(step: int | None) -> Any:
    """The request's row of ``scope`` (and ``step``: a request-wide row has none)."""
    step_matches = LEVELS.c.step.is_(None) if step is None else LEVELS.c.step == bindparam("step", type_=Integer)
    return and_(LEVELS.c.request_id == bindparam("request_id"), LEVELS.c.scope == bindparam("scope", type_=String),
                step_matches)


def _breach(of_step: bool) -> Statement:
    return Statement(update(LEVELS).where(_this(0 if of_step else None), LEVELS.c.breached_at.is_(None))
                     .values(breached_at=bindparam("now")))


BREACH_STEP, BREACH_REQUEST = _breach(of_step=True), _breach(of_step=False)
REMINDED = Statement(update(LEVELS).where(_this(0), LEVELS.c.reminders == bindparam("before", type_=Integer))
                     .values(reminders=LEVELS.c.reminders + 1))


def _deadline(row: Any) -> Deadline:
    return Deadline(request_id=row.request_id, scope=row.scope, step=row.step, due_at=row.due_at,
                    started_at=row.started_at, breached_at=row.breached_at, reminders=row.reminders)


class ServiceLevelRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def add(self, deadline: Deadline) -> None:
        await self._db.run(ADD, {"request_id": deadline.request_id, "scope": deadline.scope, "step": deadline.step,
                                 "due_at": deadline.due_at, "started_at": deadline.started_at})

    async def of_requests(self, request_ids: Sequence[int]) -> list[Deadline]:
        found: list[Deadline] = []
        for size, names in numbered_chunks("request", list(request_ids)):
            found.extend(_deadline(row) for row in await self._db.rows(OF_REQUESTS(size), names))
        return found

    async def breach(self, request_id: int, scope: str, step: int | None, now: datetime) -> bool:
        statement = BREACH_REQUEST if step is None else BREACH_STEP
        params = {"request_id": request_id, "scope": scope, "now": now, **({} if step is None else {"step": step})}
        return await self._db.run(statement, params) == 1

    async def reminded(self, request_id: int, step: int, number: int) -> bool:
        params = {"request_id": request_id, "scope": "step", "step": step, "before": number - 1}
        return await self._db.run(REMINDED, params) == 1
