"""Requests, their decisions and the Slack messages posted about them."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, bindparam, exists, or_, select, true, update

from domain.ports import DuplicateSubmission
from domain.records import (
    Answer,
    DecisionRecord,
    MessageRecord,
    NewRequest,
    RequestRecord,
    Step,
)
from storage.driver import IntegrityViolation, Transaction, first, insert_many
from storage.driver.statement import InsertMany, Statement, insert_into
from storage.models import DecisionRow, RequestRow, SlackMessageRow, table_of
from storage.repositories.step_json import CurrentApproversAmong, CurrentRolesAmong

REQUESTS = table_of(RequestRow)
DECISIONS = table_of(DecisionRow)
MESSAGES = table_of(SlackMessageRow)
INSERT_REQUEST = insert_into(REQUESTS, ["action_id", "action_title", "requester_id", "status", "current_step",
                                        "steps", "allow_self_approval", "answers", "catalog_fingerprint",
                                        "source_view_id", "created_at", "updated_at", "decided_at"],
                             returning=["id"])
_GET = select(REQUESTS).where(REQUESTS.c.id == bindparam("rid"))
GET = Statement(_GET)
GET_LOCKED = Statement(_GET.with_for_update())
MARK_ESCALATED = Statement(update(REQUESTS).where(REQUESTS.c.id == bindparam("rid")).values(escalated=True))
BY_VIEW = Statement(select(REQUESTS).where(REQUESTS.c.source_view_id == bindparam("view_id")))
SET_PROGRESS = Statement(update(REQUESTS).where(REQUESTS.c.id == bindparam("rid")).values(
    status=bindparam("status"), current_step=bindparam("current_step"), updated_at=bindparam("updated_at"),
    decided_at=bindparam("decided_at")))
SET_STATUS = Statement(update(REQUESTS).where(REQUESTS.c.id == bindparam("rid")).values(
    status=bindparam("status"), updated_at=bindparam("updated_at")))
DECISIONS_OF = Statement(select(DECISIONS).where(DECISIONS.c.request_id == bindparam("rid")).order_by(DECISIONS.c.id))
INSERT_DECISION = insert_into(DECISIONS, ["request_id", "step", "approver_id", "verdict", "reason", "created_at",
                                         "note"])
MESSAGES_OF = Statement(select(MESSAGES).where(MESSAGES.c.request_id == bindparam("rid")).order_by(MESSAGES.c.id))
INSERT_MESSAGES = InsertMany(MESSAGES, ["request_id", "purpose", "step", "recipient_id", "channel", "ts",
                                        "created_at"])
_NEWEST = (REQUESTS.c.id.desc(),)
_LIMIT = bindparam("limit", type_=Integer)
_BY_REQUESTER = select(REQUESTS).where(REQUESTS.c.requester_id == bindparam("requester"))
BY_REQUESTER = Statement(_BY_REQUESTER.order_by(*_NEWEST).limit(_LIMIT))
OPEN_BY_REQUESTER = Statement(_BY_REQUESTER.where(REQUESTS.c.status == "pending").order_by(*_NEWEST).limit(_LIMIT))
WAITING_ON = Statement(select(REQUESTS).where(
    REQUESTS.c.status == "pending",
    or_(CurrentRolesAmong(REQUESTS.c.steps, REQUESTS.c.current_step, bindparam("roles", type_=String)),
        CurrentApproversAmong(REQUESTS.c.steps, REQUESTS.c.current_step, bindparam("people", type_=String))),
    or_(REQUESTS.c.allow_self_approval.is_(true()), REQUESTS.c.requester_id != bindparam("user", type_=String)),
    ~exists().where(DECISIONS.c.request_id == REQUESTS.c.id, DECISIONS.c.step == REQUESTS.c.current_step,
                    DECISIONS.c.approver_id == bindparam("user", type_=String)),
).order_by(*_NEWEST).limit(_LIMIT))
HANDED_TO = Statement(select(REQUESTS).where(
    REQUESTS.c.status == "pending",
    exists().where(DECISIONS.c.request_id == REQUESTS.c.id, DECISIONS.c.step == REQUESTS.c.current_step,
                   DECISIONS.c.verdict == "delegate", DECISIONS.c.reason == bindparam("user", type_=String)),
    ~exists().where(DECISIONS.c.request_id == REQUESTS.c.id, DECISIONS.c.step == REQUESTS.c.current_step,
                    DECISIONS.c.approver_id == bindparam("user", type_=String)),
).order_by(*_NEWEST).limit(_LIMIT))


def _to_record(row: Any) -> RequestRecord:
    return RequestRecord(
        id=row.id,
        action_id=row.action_id,
        action_title=row.action_title,
        requester_id=row.requester_id,
        status=row.status,
        current_step=row.current_step,
        steps=tuple(Step(role=s["role"], min_approvals=s["min_approvals"], roles=tuple(s.get("roles", [s["role"]])),
                         approvers=tuple(s.get("approvers", [])), auto=s.get("auto"), backup=s.get("backup"))
                    for s in row.steps),
        allow_self_approval=row.allow_self_approval,
        answers=tuple(Answer(field_id=a["id"], label=a["label"], value=a["value"], kind=a.get("kind", "text"),
                             shown=a.get("shown")) for a in row.answers),
        created_at=row.created_at,
        updated_at=row.updated_at,
        decided_at=row.decided_at,
        escalated=row.escalated,
    )


class RequestRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db
        # Decisions read in this transaction, kept in step with the ones it adds: a decision reads
        # them to authorise, then again to route and to redraw, and nothing else can add any to a
        # request meanwhile without its row lock (every writer of decisions takes it).
        self._decisions: dict[int, list[DecisionRecord]] = {}

    async def add(self, new: NewRequest, status: str, now: datetime) -> RequestRecord:
        """Insert a request; a second one for the same modal raises ``DuplicateSubmission`` (the
        transaction is then unusable: roll back and look the first one up)."""
        values = {
            "action_id": new.action_id,
            "action_title": new.action_title,
            "requester_id": new.requester_id,
            "status": status,
            "current_step": 0,
            "steps": [{"role": s.role, "min_approvals": s.min_approvals, "roles": list(s.roles),
                       "approvers": list(s.approvers), "auto": None if s.auto is None else dict(s.auto),
                       **({"backup": s.backup} if s.backup else {})}
                      for s in new.steps],
            "allow_self_approval": new.allow_self_approval,
            "answers": [{"id": a.field_id, "label": a.label, "value": a.value, "kind": a.kind, "shown": a.shown}
                        for a in new.answers],
            "catalog_fingerprint": new.catalog_fingerprint,
            "source_view_id": new.source_view_id,
            "created_at": now,
            "updated_at": now,
            "decided_at": None,
        }
        try:
            request_id = (await self._db.rows(INSERT_REQUEST, values))[0].id
        except IntegrityViolation as error:
            raise DuplicateSubmission(new.source_view_id) from error
        return RequestRecord(id=request_id, action_id=new.action_id, action_title=new.action_title,
                             requester_id=new.requester_id, status=status, current_step=0, steps=new.steps,
                             allow_self_approval=new.allow_self_approval, answers=new.answers,
                             created_at=now, updated_at=now, decided_at=None)

    async def get(self, request_id: int, *, for_update: bool = False) -> RequestRecord | None:
        """Load one request; ``for_update`` locks its row until commit (PostgreSQL)."""
        row = await first(self._db, GET_LOCKED if for_update else GET, {"rid": request_id})
        return None if row is None else _to_record(row)

    async def find_by_view(self, view_id: str) -> RequestRecord | None:
        """The request a modal submission already created, if Slack (or anyone) sends it twice."""
        row = await first(self._db, BY_VIEW, {"view_id": view_id})
        return None if row is None else _to_record(row)

    async def set_progress(self, request: RequestRecord, status: str, current_step: int,
                           now: datetime) -> RequestRecord:
        """Move ``request`` on; returns it as now stored."""
        decided_at = None if status == "pending" else now
        await self._db.run(SET_PROGRESS, {"rid": request.id, "status": status, "current_step": current_step,
                                              "updated_at": now, "decided_at": decided_at})
        return replace(request, status=status, current_step=current_step, updated_at=now, decided_at=decided_at)

    async def set_status(self, request: RequestRecord, status: str, now: datetime) -> RequestRecord:
        """Change only the status (fulfilment's ``failed`` and ``expired``); its decision time stays."""
        await self._db.run(SET_STATUS, {"rid": request.id, "status": status, "updated_at": now})
        return replace(request, status=status, updated_at=now)

    async def decisions(self, request_id: int) -> list[DecisionRecord]:
        known = self._decisions.get(request_id)
        if known is None:
            known = self._decisions[request_id] = [
                DecisionRecord(r.request_id, r.step, r.approver_id, r.verdict, r.reason, r.created_at, r.note)
                for r in await self._db.rows(DECISIONS_OF, {"rid": request_id})]
        return list(known)

    async def add_decision(self, decision: DecisionRecord) -> None:
        await self._db.run(INSERT_DECISION, {
            "request_id": decision.request_id, "step": decision.step, "approver_id": decision.approver_id,
            "verdict": decision.verdict, "reason": decision.reason, "created_at": decision.created_at,
            "note": decision.note})
        known = self._decisions.get(decision.request_id)
        if known is not None:
            known.append(decision)

    async def mark_escalated(self, request_id: int) -> None:
        await self._db.run(MARK_ESCALATED, {"rid": request_id})

    async def by_requester(self, requester_id: str, limit: int, *, open_only: bool = False) -> list[RequestRecord]:
        """``requester_id``'s requests, newest first; only pending ones with ``open_only``."""
        rows = await self._db.rows(OPEN_BY_REQUESTER if open_only else BY_REQUESTER,
                                   {"requester": requester_id, "limit": limit})
        return [_to_record(row) for row in rows]

    async def waiting_on(self, user_id: str, roles: Collection[str], limit: int) -> list[RequestRecord]:
        """Pending requests whose current step ``roles`` decide or names ``user_id``, not yet decided
        by them and not their own unless self-approval is allowed; newest first."""
        rows = await self._db.rows(WAITING_ON, {"roles": json.dumps(sorted(roles)), "people": json.dumps([user_id]),
                                                "user": user_id, "limit": limit})
        return [_to_record(row) for row in rows]

    async def handed_to(self, user_id: str, limit: int) -> list[RequestRecord]:
        """Pending requests whose current step was handed to ``user_id``, not yet decided by them."""
        return [_to_record(row) for row in await self._db.rows(HANDED_TO, {"user": user_id, "limit": limit})]

    async def messages(self, request_id: int) -> list[MessageRecord]:
        return [MessageRecord(r.request_id, r.purpose, r.step, r.recipient_id, r.channel, r.ts)
                for r in await self._db.rows(MESSAGES_OF, {"rid": request_id})]

    async def add_messages(self, messages: Sequence[MessageRecord], now: datetime) -> None:
        """Remember posted messages, in one statement."""
        if messages:
            await insert_many(self._db, INSERT_MESSAGES, [
                {"request_id": m.request_id, "purpose": m.purpose, "step": m.step, "recipient_id": m.recipient_id,
                 "channel": m.channel, "ts": m.ts, "created_at": now} for m in messages])
