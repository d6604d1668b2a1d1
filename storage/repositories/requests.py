"""Requests, their decisions and the Slack messages posted about them.

Statements are Core (table columns, not ORM entities): these run on every click and
submission, and plain rows skip the ORM's identity map and unit-of-work bookkeeping.
"""

from __future__ import annotations

from datetime import datetime

from dataclasses import replace
from typing import Any, Sequence

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from storage.repositories import Executor
from storage.models import DecisionRow, RequestRow, SlackMessageRow
from storage.records import (
    Answer,
    DecisionRecord,
    MessageRecord,
    NewRequest,
    RequestRecord,
    Step,
)


REQUESTS = RequestRow.__table__
DECISIONS = DecisionRow.__table__
MESSAGES = SlackMessageRow.__table__
INSERT_REQUEST = insert(REQUESTS).returning(REQUESTS.c.id)
GET = select(REQUESTS).where(REQUESTS.c.id == bindparam("rid"))
GET_LOCKED = GET.with_for_update()
BY_VIEW = select(REQUESTS).where(REQUESTS.c.source_view_id == bindparam("view_id"))
SET_PROGRESS = update(REQUESTS).where(REQUESTS.c.id == bindparam("rid"))
DECISIONS_OF = select(DECISIONS).where(DECISIONS.c.request_id == bindparam("rid")).order_by(DECISIONS.c.id)
INSERT_DECISION = insert(DECISIONS)
MESSAGES_OF = (select(MESSAGES).where(MESSAGES.c.request_id == bindparam("rid"),
                                      MESSAGES.c.purpose == bindparam("purpose")).order_by(MESSAGES.c.id))
INSERT_MESSAGES = insert(MESSAGES)


def _to_record(row: Row[Any]) -> RequestRecord:
    return RequestRecord(
        id=row.id,
        action_id=row.action_id,
        action_title=row.action_title,
        requester_id=row.requester_id,
        status=row.status,
        current_step=row.current_step,
        steps=tuple(Step(role=s["role"], min_approvals=s["min_approvals"]) for s in row.steps),
        allow_self_approval=row.allow_self_approval,
        answers=tuple(Answer(field_id=a["id"], label=a["label"], value=a["value"]) for a in row.answers),
        created_at=row.created_at,
        updated_at=row.updated_at,
        decided_at=row.decided_at,
    )


class DuplicateSubmission(Exception):
    """Another transaction stored a request for the same modal first."""


class RequestRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def add(self, new: NewRequest, status: str, now: datetime) -> RequestRecord:
        """Insert a request; a second one for the same modal raises ``DuplicateSubmission`` (the
        transaction is then unusable: roll back and look the first one up)."""
        values = {
            "action_id": new.action_id,
            "action_title": new.action_title,
            "requester_id": new.requester_id,
            "status": status,
            "current_step": 0,
            "steps": [{"role": s.role, "min_approvals": s.min_approvals} for s in new.steps],
            "allow_self_approval": new.allow_self_approval,
            "answers": [{"id": a.field_id, "label": a.label, "value": a.value} for a in new.answers],
            "catalog_fingerprint": new.catalog_fingerprint,
            "source_view_id": new.source_view_id,
            "created_at": now,
            "updated_at": now,
            "decided_at": None,
        }
        try:
            request_id = (await self._db.execute(INSERT_REQUEST, values)).scalar_one()
        except IntegrityError as error:
            raise DuplicateSubmission(new.source_view_id) from error
        return RequestRecord(id=request_id, action_id=new.action_id, action_title=new.action_title,
                             requester_id=new.requester_id, status=status, current_step=0, steps=new.steps,
                             allow_self_approval=new.allow_self_approval, answers=new.answers,
                             created_at=now, updated_at=now, decided_at=None)

    async def get(self, request_id: int, *, for_update: bool = False) -> RequestRecord | None:
        """Load one request; ``for_update`` locks its row until commit (PostgreSQL)."""
        row = (await self._db.execute(GET_LOCKED if for_update else GET, {"rid": request_id})).one_or_none()
        return None if row is None else _to_record(row)

    async def find_by_view(self, view_id: str) -> RequestRecord | None:
        """The request a modal submission already created, if Slack (or anyone) sends it twice."""
        row = (await self._db.execute(BY_VIEW, {"view_id": view_id})).one_or_none()
        return None if row is None else _to_record(row)

    async def set_progress(self, request: RequestRecord, status: str, current_step: int,
                           now: datetime) -> RequestRecord:
        """Move ``request`` on; returns it as now stored."""
        decided_at = None if status == "pending" else now
        await self._db.execute(SET_PROGRESS, {"rid": request.id, "status": status, "current_step": current_step,
                                              "updated_at": now, "decided_at": decided_at})
        return replace(request, status=status, current_step=current_step, updated_at=now, decided_at=decided_at)

    async def decisions(self, request_id: int) -> list[DecisionRecord]:
        return [DecisionRecord(r.request_id, r.step, r.approver_id, r.verdict, r.reason, r.created_at)
                for r in await self._db.execute(DECISIONS_OF, {"rid": request_id})]

    async def add_decision(self, decision: DecisionRecord) -> None:
        await self._db.execute(INSERT_DECISION, {
            "request_id": decision.request_id, "step": decision.step, "approver_id": decision.approver_id,
            "verdict": decision.verdict, "reason": decision.reason, "created_at": decision.created_at})

    async def messages(self, request_id: int, purpose: str) -> list[MessageRecord]:
        return [MessageRecord(r.request_id, r.purpose, r.step, r.recipient_id, r.channel, r.ts)
                for r in await self._db.execute(MESSAGES_OF, {"rid": request_id, "purpose": purpose})]

    async def add_messages(self, messages: Sequence[MessageRecord], now: datetime) -> None:
        """Remember posted messages, in one statement."""
        if messages:
            await self._db.execute(INSERT_MESSAGES, [
                {"request_id": m.request_id, "purpose": m.purpose, "step": m.step, "recipient_id": m.recipient_id,
                 "channel": m.channel, "ts": m.ts, "created_at": now} for m in messages])
