"""Requests, their decisions and the Slack messages posted about them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DecisionRow, RequestRow, SlackMessageRow
from storage.records import (
    Answer,
    DecisionRecord,
    MessageRecord,
    NewRequest,
    RequestRecord,
    Step,
)


def _to_record(row: RequestRow) -> RequestRecord:
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
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, new: NewRequest, status: str, now: datetime) -> RequestRecord:
        row = RequestRow(
            action_id=new.action_id,
            action_title=new.action_title,
            requester_id=new.requester_id,
            status=status,
            current_step=0,
            steps=[{"role": s.role, "min_approvals": s.min_approvals} for s in new.steps],
            allow_self_approval=new.allow_self_approval,
            answers=[{"id": a.field_id, "label": a.label, "value": a.value} for a in new.answers],
            catalog_fingerprint=new.catalog_fingerprint,
            source_view_id=new.source_view_id,
            created_at=now,
            updated_at=now,
            decided_at=None,
        )
        self._session.add(row)
        try:
            await self._session.flush()
        except IntegrityError as error:
            raise DuplicateSubmission(new.source_view_id) from error
        return _to_record(row)

    async def get(self, request_id: int, *, for_update: bool = False) -> RequestRecord | None:
        """Load one request; ``for_update`` locks its row until commit (PostgreSQL)."""
        query = select(RequestRow).where(RequestRow.id == request_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).scalar_one_or_none()
        return None if row is None else _to_record(row)

    async def find_by_view(self, view_id: str) -> RequestRecord | None:
        """The request a modal submission already created, if Slack (or anyone) sends it twice."""
        query = select(RequestRow).where(RequestRow.source_view_id == view_id)
        row = (await self._session.execute(query)).scalar_one_or_none()
        return None if row is None else _to_record(row)

    async def set_progress(self, request_id: int, status: str, current_step: int, now: datetime) -> None:
        decided_at = None if status == "pending" else now
        await self._session.execute(
            update(RequestRow)
            .where(RequestRow.id == request_id)
            .values(status=status, current_step=current_step, updated_at=now, decided_at=decided_at)
        )

    async def count(self) -> int:
        return (await self._session.execute(select(func.count()).select_from(RequestRow))).scalar_one()

    async def decisions(self, request_id: int) -> list[DecisionRecord]:
        query = select(DecisionRow).where(DecisionRow.request_id == request_id).order_by(DecisionRow.id)
        rows = (await self._session.execute(query)).scalars()
        return [
            DecisionRecord(r.request_id, r.step, r.approver_id, r.verdict, r.reason, r.created_at) for r in rows
        ]

    async def add_decision(self, decision: DecisionRecord) -> None:
        self._session.add(
            DecisionRow(
                request_id=decision.request_id,
                step=decision.step,
                approver_id=decision.approver_id,
                verdict=decision.verdict,
                reason=decision.reason,
                created_at=decision.created_at,
            )
        )
        await self._session.flush()

    async def messages(self, request_id: int, purpose: str, step: int | None = None) -> list[MessageRecord]:
        query = select(SlackMessageRow).where(
            SlackMessageRow.request_id == request_id, SlackMessageRow.purpose == purpose
        )
        if step is not None:
            query = query.where(SlackMessageRow.step == step)
        rows = (await self._session.execute(query.order_by(SlackMessageRow.id))).scalars()
        return [MessageRecord(r.request_id, r.purpose, r.step, r.recipient_id, r.channel, r.ts) for r in rows]

    async def add_message(self, message: MessageRecord, now: datetime) -> None:
        self._session.add(
            SlackMessageRow(
                request_id=message.request_id,
                purpose=message.purpose,
                step=message.step,
                recipient_id=message.recipient_id,
                channel=message.channel,
                ts=message.ts,
                created_at=now,
            )
        )
