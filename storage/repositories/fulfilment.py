"""Fulfilment plans (with the access window) and step progress, per request."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, func, select, update

from domain.fulfilment_records import PlanRecord, StepRecord
from storage.driver import Transaction, first, insert_many
from storage.driver.statement import InsertMany, PerSize, Statement, insert_into, numbered, numbered_chunks
from storage.models import FulfilmentPlanRow, FulfilmentStepRow, table_of

PLANS = table_of(FulfilmentPlanRow)
STEPS = table_of(FulfilmentStepRow)
INSERT_PLAN = insert_into(PLANS, ["request_id", "spec"])
_PLAN = select(PLANS).where(PLANS.c.request_id == bindparam("rid"))
PLAN, PLAN_LOCKED = Statement(_PLAN), Statement(_PLAN.with_for_update())
SET_ACCESS = Statement(update(PLANS).where(PLANS.c.request_id == bindparam("rid")).values(
    **{name: func.coalesce(bindparam(name, type_=PLANS.c[name].type), PLANS.c[name])
       for name in ("granted_at", "expires_at", "ended_at", "ended_by")}))
INSERT_STEPS = InsertMany(STEPS, ["request_id", "phase", "idx", "kind", "label", "status", "attempts", "detail",
                                  "result", "updated_at", "finished_at"])
_ORDER = (STEPS.c.request_id, STEPS.c.phase, STEPS.c.idx)
STEPS_OF = Statement(select(STEPS).where(STEPS.c.request_id == bindparam("rid")).order_by(*_ORDER))
STEPS_OF_MANY = PerSize(lambda size: select(STEPS).where(
    STEPS.c.request_id.in_([bindparam(name, type_=Integer) for name in numbered("rid", size)])).order_by(*_ORDER))
_STEP = (STEPS.c.request_id == bindparam("rid"), STEPS.c.phase == bindparam("phase"), STEPS.c.idx == bindparam("idx"))
SET_STATUS = Statement(update(STEPS).where(*_STEP).values(
    status=bindparam("status"), updated_at=bindparam("now"), finished_at=bindparam("finished_at"),
    attempts=func.coalesce(bindparam("attempts", type_=Integer), STEPS.c.attempts)))
SET_DETAIL = Statement(update(STEPS).where(*_STEP).values(detail=bindparam("detail", type_=STEPS.c.detail.type)))
SET_RESULT = Statement(update(STEPS).where(*_STEP).values(result=bindparam("result", type_=STEPS.c.result.type)))
FINISHED = ("done", "failed")
_PHASE_ORDER = {"approved": 0, "expired": 1}


def _step(row: Any) -> StepRecord:
    return StepRecord(row.request_id, row.phase, row.idx, row.kind, row.label, row.status, row.attempts, row.detail,
                      row.result, row.updated_at, row.finished_at)


def _ordered(rows: list[Any]) -> list[StepRecord]:
    return sorted((_step(row) for row in rows), key=lambda s: (s.request_id, _PHASE_ORDER.get(s.phase, 9), s.index))


class FulfilmentRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def add_plan(self, request_id: int, spec: Mapping[str, Any]) -> None:
        await self._db.run(INSERT_PLAN, {"request_id": request_id, "spec": dict(spec)})

    async def plan(self, request_id: int, *, for_update: bool = False) -> PlanRecord | None:
        row = await first(self._db, PLAN_LOCKED if for_update else PLAN, {"rid": request_id})
        return None if row is None else PlanRecord(row.request_id, row.spec, row.granted_at, row.expires_at,
                                                   row.ended_at, row.ended_by)

    async def set_access(self, request_id: int, *, granted_at: datetime | None = None,
                         expires_at: datetime | None = None, ended_at: datetime | None = None,
                         ended_by: str | None = None) -> None:
        await self._db.run(SET_ACCESS, {"rid": request_id, "granted_at": granted_at, "expires_at": expires_at,
                                        "ended_at": ended_at, "ended_by": ended_by})

    async def add_steps(self, steps: list[StepRecord]) -> None:
        await insert_many(self._db, INSERT_STEPS, [
            {"request_id": s.request_id, "phase": s.phase, "idx": s.index, "kind": s.kind, "label": s.label[:200],
             "status": s.status, "attempts": s.attempts, "detail": s.detail, "result": s.result,
             "updated_at": s.updated_at, "finished_at": s.finished_at} for s in steps])

    async def steps(self, request_id: int) -> list[StepRecord]:
        return _ordered(await self._db.rows(STEPS_OF, {"rid": request_id}))

    async def steps_of(self, request_ids: list[int]) -> dict[int, list[StepRecord]]:
        rows: list[Any] = []
        for size, names in numbered_chunks("rid", request_ids):
            rows += await self._db.rows(STEPS_OF_MANY(size), names)
        found: dict[int, list[StepRecord]] = {}
        for step in _ordered(rows):
            found.setdefault(step.request_id, []).append(step)
        return found

    async def update_step(self, request_id: int, phase: str, index: int, now: datetime, *, status: str,
                          attempts: int | None = None, detail: Mapping[str, Any] | None = None,
                          result: Any = None) -> None:
        key = {"rid": request_id, "phase": phase, "idx": index}
        await self._db.run(SET_STATUS, {**key, "status": status, "now": now, "attempts": attempts,
                                        "finished_at": now if status in FINISHED else None})
        if detail is not None:
            await self._db.run(SET_DETAIL, {**key, "detail": dict(detail)})
        if result is not None:
            await self._db.run(SET_RESULT, {**key, "result": result})
