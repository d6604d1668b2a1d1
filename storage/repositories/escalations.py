"""Escalations: one row each, its history a JSON list, its open_key the request id while open."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, or_, select, update

from domain.escalation_records import (
    EscalationEvent,
    EscalationRecord,
    EscalationStatus,
    NewEscalation,
    Thread,
)
from storage.driver import Transaction, first
from storage.driver.statement import Statement, insert_into
from storage.models import EscalationRow, table_of

ESCALATIONS = table_of(EscalationRow)
_C = ESCALATIONS.c
INSERT = insert_into(ESCALATIONS, ["request_id", "open_key", "requester_id", "opened_by", "reason", "words",
                                   "status", "history", "created_at", "updated_at"], returning=["id"])
_GET = select(ESCALATIONS).where(_C.id == bindparam("eid", type_=Integer))
GET = Statement(_GET)
GET_LOCKED = Statement(_GET.with_for_update())
OPEN_FOR = Statement(select(ESCALATIONS).where(_C.open_key == bindparam("rid", type_=Integer)))
OF_REQUEST = Statement(select(ESCALATIONS).where(_C.request_id == bindparam("rid", type_=Integer)).order_by(_C.id))
SAVE = Statement(update(ESCALATIONS).where(_C.id == bindparam("eid", type_=Integer)).values(
    open_key=bindparam("open_key"), status=bindparam("status"), assignee=bindparam("assignee"),
    note=bindparam("note"), history=bindparam("history"), updated_at=bindparam("updated_at"),
    resolved_at=bindparam("resolved_at")))
SET_SUPPORT_POST = Statement(update(ESCALATIONS).where(_C.id == bindparam("eid", type_=Integer)).values(
    support_channel=bindparam("channel", type_=String), support_ts=bindparam("ts", type_=String)))
SET_REQUESTER_POST = Statement(update(ESCALATIONS).where(_C.id == bindparam("eid", type_=Integer)).values(
    requester_channel=bindparam("channel", type_=String), requester_ts=bindparam("ts", type_=String)))
_CHANNEL, _TS = bindparam("channel", type_=String), bindparam("ts", type_=String)
BY_THREAD = Statement(select(ESCALATIONS).where(or_(
    and_(_C.support_channel == _CHANNEL, _C.support_ts == _TS),
    and_(_C.requester_channel == _CHANNEL, _C.requester_ts == _TS))).order_by(_C.id).limit(1))
OPEN_ONES = Statement(select(ESCALATIONS).where(_C.status != EscalationStatus.RESOLVED.value).order_by(_C.id)
                      .limit(bindparam("limit", type_=Integer)))


def _history(events: tuple[EscalationEvent, ...]) -> list[dict[str, Any]]:
    return [{"what": e.what, "by": e.by, "at": e.at.isoformat(), "reason": e.reason, "text": e.text, "to": e.to}
            for e in events]


def _events(stored: list[dict[str, Any]]) -> tuple[EscalationEvent, ...]:
    return tuple(EscalationEvent(e["what"], e.get("by"), datetime.fromisoformat(e["at"]), e.get("reason"),
                                 e.get("text"), e.get("to")) for e in stored)


def _thread(channel: str | None, ts: str | None) -> Thread | None:
    return Thread(channel, ts) if channel and ts else None


def _to_record(row: Any) -> EscalationRecord:
    return EscalationRecord(
        id=row.id, request_id=row.request_id, requester_id=row.requester_id, opened_by=row.opened_by,
        reason=row.reason, words=row.words, status=row.status, assignee=row.assignee, note=row.note,
        history=_events(row.history), created_at=row.created_at, updated_at=row.updated_at,
        resolved_at=row.resolved_at, support_post=_thread(row.support_channel, row.support_ts),
        requester_post=_thread(row.requester_channel, row.requester_ts))


def _open_key(escalation: EscalationRecord) -> int | None:
    return escalation.request_id if escalation.is_open else None


class EscalationRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def add(self, new: NewEscalation, now: datetime) -> EscalationRecord:
        values = {"request_id": new.request_id, "open_key": new.request_id, "requester_id": new.requester_id,
                  "opened_by": new.opened_by, "reason": new.reason, "words": new.words,
                  "status": EscalationStatus.OPEN.value, "history": _history(new.history), "created_at": now,
                  "updated_at": now}
        escalation_id = (await self._db.rows(INSERT, values))[0].id
        return EscalationRecord(escalation_id, new.request_id, new.requester_id, new.opened_by, new.reason, new.words,
                                EscalationStatus.OPEN.value, None, None, new.history, now, now, None)

    async def get(self, escalation_id: int, *, for_update: bool = False) -> EscalationRecord | None:
        row = await first(self._db, GET_LOCKED if for_update else GET, {"eid": escalation_id})
        return None if row is None else _to_record(row)

    async def open_for(self, request_id: int) -> EscalationRecord | None:
        row = await first(self._db, OPEN_FOR, {"rid": request_id})
        return None if row is None else _to_record(row)

    async def of_request(self, request_id: int) -> list[EscalationRecord]:
        return [_to_record(row) for row in await self._db.rows(OF_REQUEST, {"rid": request_id})]

    async def save(self, escalation: EscalationRecord) -> EscalationRecord:
        await self._db.run(SAVE, {"eid": escalation.id, "open_key": _open_key(escalation), "status": escalation.status,
                                  "assignee": escalation.assignee, "note": escalation.note,
                                  "history": _history(escalation.history), "updated_at": escalation.updated_at,
                                  "resolved_at": escalation.resolved_at})
        return escalation

    async def set_post(self, escalation_id: int, side: str, post: Thread) -> None:
        statement = SET_SUPPORT_POST if side == "support" else SET_REQUESTER_POST
        await self._db.run(statement, {"eid": escalation_id, "channel": post.channel, "ts": post.ts})

    async def by_thread(self, channel: str, ts: str) -> EscalationRecord | None:
        row = await first(self._db, BY_THREAD, {"channel": channel, "ts": ts})
        return None if row is None else _to_record(row)

    async def open_ones(self, limit: int) -> list[EscalationRecord]:
        return [_to_record(row) for row in await self._db.rows(OPEN_ONES, {"limit": limit})]
