"""The facts analytics are computed from (``domain.analytics_facts``), read in bulk."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, or_, select

from domain.analytics_facts import DecisionFact, FeedbackFact, FormEvent, RequestFact
from domain.records import parse_request_ref
from storage.driver import Transaction
from storage.driver.statement import Statement
from storage.models import AuditEventRow, DecisionRow, FeedbackRow, RequestRow, UTCDateTime, table_of

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
FORM_KINDS = {"modal_opened": "opened", "modal_closed": "closed", "form_submitted": "invalid"}
FORM_EVENTS = Statement(select(AUDIT.c.kind, AUDIT.c.outcome, AUDIT.c.occurred_at, AUDIT.c.details).where(
    or_(*(AUDIT.c.kind == kind for kind in FORM_KINDS)), AUDIT.c.occurred_at >= _SINCE))
EVENTS_OF_KIND = Statement(select(AUDIT.c.request_ref).where(
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


def _details(text: str) -> dict[str, Any]:
    try:
        details = json.loads(text)
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}
