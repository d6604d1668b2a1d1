"""The facts analytics are computed from (``domain.analytics_facts``), read in bulk."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, bindparam, case, func, or_, select

from domain.analytics_facts import DecisionFact, FeedbackFact, FormEvent, RequestFact, UsageFact
from domain.fulfilment_records import APPROVED, DONE
from domain.records import parse_request_ref
from storage.driver import Transaction, pages
from storage.driver.statement import Statement
from storage.models import AuditEventRow, DecisionRow, FeedbackRow, FulfilmentStepRow, RequestRow, UTCDateTime, table_of

REQUESTS = table_of(RequestRow)
DECISIONS = table_of(DecisionRow)
FEEDBACK = table_of(FeedbackRow)
AUDIT = table_of(AuditEventRow)
_SINCE = bindparam("since", type_=UTCDateTime())
REQUESTS_SINCE = Statement(select(
    REQUESTS.c.id, REQUESTS.c.action_id, REQUESTS.c.requester_id, REQUESTS.c.status, REQUESTS.c.current_step,
    REQUESTS.c.source_view_id, REQUESTS.c.created_at, REQUESTS.c.decided_at,
).where(REQUESTS.c.created_at >= _SINCE))
DECISIONS_SINCE = Statement(select(
    DECISIONS.c.request_id, DECISIONS.c.step, DECISIONS.c.approver_id, DECISIONS.c.verdict, DECISIONS.c.created_at,
).join(REQUESTS, REQUESTS.c.id == DECISIONS.c.request_id).where(REQUESTS.c.created_at >= _SINCE)
  .order_by(DECISIONS.c.id))
FEEDBACK_SINCE = Statement(select(
    FEEDBACK.c.request_id, FEEDBACK.c.action_id, FEEDBACK.c.rating, FEEDBACK.c.comment, FEEDBACK.c.created_at,
).join(REQUESTS, REQUESTS.c.id == FEEDBACK.c.request_id).where(REQUESTS.c.created_at >= _SINCE))
STEPS = table_of(FulfilmentStepRow)
_ITS_APPROVED_STEPS = (STEPS.c.request_id == REQUESTS.c.id, STEPS.c.phase == APPROVED)
USAGE_PAGE = Statement(select(
    REQUESTS.c.id, REQUESTS.c.action_id, REQUESTS.c.requester_id, REQUESTS.c.status, REQUESTS.c.created_at,
    REQUESTS.c.decided_at,
    select(func.max(STEPS.c.finished_at)).where(*_ITS_APPROVED_STEPS).scalar_subquery().label("steps_done_at"),
    select(func.count()).where(*_ITS_APPROVED_STEPS, STEPS.c.status != DONE).scalar_subquery().label("steps_open"),
).where(REQUESTS.c.created_at >= _SINCE, REQUESTS.c.id > bindparam("after", type_=Integer))
  .order_by(REQUESTS.c.id).limit(bindparam("limit", type_=Integer)))
RATINGS = Statement(select(
    FEEDBACK.c.action_id, func.sum(case((FEEDBACK.c.rating == "up", 1), else_=0)).label("up"),
    func.count().label("n"),
).join(REQUESTS, REQUESTS.c.id == FEEDBACK.c.request_id).where(REQUESTS.c.created_at >= _SINCE)
  .group_by(FEEDBACK.c.action_id))
FORM_KINDS = {"modal_opened": "opened", "modal_closed": "closed", "form_submitted": "invalid"}
FORM_EVENTS = Statement(select(AUDIT.c.kind, AUDIT.c.outcome, AUDIT.c.occurred_at, AUDIT.c.details).where(
    or_(*(AUDIT.c.kind == kind for kind in FORM_KINDS)), AUDIT.c.occurred_at >= _SINCE))
EVENTS_OF_KIND = Statement(select(AUDIT.c.request_ref, AUDIT.c.occurred_at).where(
    AUDIT.c.kind == bindparam("kind", type_=String), AUDIT.c.occurred_at >= _SINCE,
    AUDIT.c.request_ref.is_not(None)))


class AnalyticsRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def requests(self, since: datetime) -> list[RequestFact]:
        return [RequestFact(r.id, r.action_id, r.requester_id, r.status, r.current_step, r.source_view_id,
                            r.created_at, r.decided_at) for r in await self._db.rows(REQUESTS_SINCE, {"since": since})]

    async def decisions(self, since: datetime) -> list[DecisionFact]:
        return [DecisionFact(r.request_id, r.step, r.approver_id, r.verdict, r.created_at)
                for r in await self._db.rows(DECISIONS_SINCE, {"since": since})]

    async def feedback(self, since: datetime) -> list[FeedbackFact]:
        return [FeedbackFact(r.request_id, r.action_id, r.rating, r.comment, r.created_at)
                for r in await self._db.rows(FEEDBACK_SINCE, {"since": since})]

    async def form_events(self, since: datetime) -> list[FormEvent]:
        """Forms opened (``modal_opened`` ok), closed unsent (``modal_closed``) and refused as
        invalid (``form_submitted`` invalid, with the fields at fault), from the audit log."""
        events = []
        for row in await self._db.rows(FORM_EVENTS, {"since": since}):
            kind = FORM_KINDS[row.kind]
            if (kind == "invalid") != (row.outcome == "invalid") or (kind == "opened" and row.outcome != "ok"):
                continue
            details = _details(row.details)
            errors = details.get("errors")
            fields = tuple(str(f) for f in errors) if isinstance(errors, dict) else ()
            view = details.get("view")
            events.append(FormEvent(kind, str(details.get("action", "")), view if isinstance(view, str) else None,
                                    row.occurred_at, fields))
        return events

    async def flagged(self, kinds: Collection[str], since: datetime) -> dict[str, set[int]]:
        found: dict[str, set[int]] = {}
        for kind in kinds:
            rows = await self._db.rows(EVENTS_OF_KIND, {"kind": kind, "since": since})
            found[kind] = {rid for r in rows if (rid := parse_request_ref(r.request_ref)) is not None}
        return found

    async def first_events(self, kind: str, since: datetime) -> dict[int, datetime]:
        found: dict[int, datetime] = {}
        for r in await self._db.rows(EVENTS_OF_KIND, {"kind": kind, "since": since}):
            if (rid := parse_request_ref(r.request_ref)) is not None:
                found[rid] = min(found.get(rid, r.occurred_at), r.occurred_at)
        return found

    async def usage_pages(self, since: datetime, size: int) -> AsyncIterator[list[UsageFact]]:
        """Keyset pages by id (``storage.driver.pages``): each a short indexed read, the loop free between them."""
        async for rows in pages(self._db, USAGE_PAGE, {"since": since}, key="id", after=0, size=size):
            yield [UsageFact(r.action_id, r.requester_id, r.status, r.created_at, r.decided_at, r.steps_done_at,
                             int(r.steps_open or 0)) for r in rows]

    async def ratings(self, since: datetime) -> dict[str, tuple[int, int]]:
        return {r.action_id: (int(r.up or 0), int(r.n)) for r in await self._db.rows(RATINGS, {"since": since})}


def _details(text: str) -> dict[str, Any]:
    try:
        details = json.loads(text)
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}
