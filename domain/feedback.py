"""Feedback on finished requests: "Did this get you what you needed?", answered 👍 or 👎 at most once.

The question is a job (``ASK``) queued in the transaction that finishes the request, so it is
never lost and never slows the click that finished it; whether to ask (the requester turned
questions off, or was asked already) is settled when it is delivered. Answers are keyed by
request, so a second click, on any device, is refused with the first answer kept.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.errors import DomainError
from domain.ports import AuditSink, RequestStore, UnitOfWork
from domain.records import AuditEntry, RequestRecord, parse_request_ref
from domain.refusals import refusal_entry

ASK = "dm.requester.feedback"
"""Job kind: ask the requester of a finished request for feedback."""
COMMENT_LIMIT = 2000


class Rating(StrEnum):
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class FeedbackRecord:
    request_id: int
    action_id: str
    requester_id: str
    rating: str
    comment: str | None
    created_at: datetime


@dataclass
class FeedbackRefused(DomainError):
    """``reason``: ``unknown_request`` (none, or someone else's: alike, so ids cannot be probed)
    or ``already_answered`` (``rating`` is the answer kept)."""

    ref: str
    reason: str
    rating: str | None = None
    code = "feedback_refused"


class FeedbackStore(Protocol):
    async def get(self, request_id: int) -> FeedbackRecord | None:
        """The answer given for the request, if any."""

    async def add(self, record: FeedbackRecord) -> None:
        """Store an answer (the caller made sure there is none: it holds the request's lock)."""

    async def set_comment(self, request_id: int, comment: str) -> None:
        """Add the optional comment to an answer."""

    async def opted_out(self, user_id: str) -> bool:
        """Whether ``user_id`` turned the questions off."""

    async def set_opted_out(self, user_id: str, off: bool, now: datetime) -> None:
        """Turn the questions off (or on again) for ``user_id``."""


class FeedbackUnit(Protocol):
    @property
    def requests(self) -> RequestStore: ...

    @property
    def feedback(self) -> FeedbackStore: ...

    def now(self) -> datetime: ...

    def audit(self, entry: AuditEntry) -> None: ...


FeedbackUnits = Callable[[], AbstractAsyncContextManager[FeedbackUnit]]


def ask_when_finished(uow: UnitOfWork, request: RequestRecord) -> None:
    """Queue the question for a request that has just finished (done, rejected, cancelled after an
    escalation) or whose escalation was resolved; it is posted once per request, whoever asks."""
    uow.enqueue(ASK, request.id, {})


class FeedbackDesk:
    def __init__(self, unit_of_work: FeedbackUnits, reader: FeedbackUnits, audit: AuditSink) -> None:
        self._uow = unit_of_work
        self._reader = reader
        self._audit = audit

    async def rate(self, actor: str, ref: str, rating: Rating) -> RequestRecord:
        """Store ``actor``'s answer for their finished request ``ref``; refused (and audited) if
        it is not theirs or was answered already."""
        try:
            async with self._uow() as uow:
                request = await self._own_finished(uow, actor, ref)
                earlier = await uow.feedback.get(request.id)
                if earlier is not None:
                    raise FeedbackRefused(request.ref, "already_answered", earlier.rating)
                await uow.feedback.add(FeedbackRecord(request.id, request.action_id, actor, rating, None, uow.now()))
                uow.audit(AuditEntry("feedback_given", "ok", actor, request.ref,
                                     {"action": request.action_id, "rating": str(rating)}))
                return request
        except DomainError as refusal:
            await self._audit(refusal_entry(actor, "feedback_given", refusal, {"request": ref[:64]}))
            raise

    async def comment(self, actor: str, ref: str, text: str) -> None:
        """Add ``actor``'s comment to their answer (once; an empty comment changes nothing)."""
        text = text.strip()[:COMMENT_LIMIT]
        if not text:
            return
        try:
            async with self._uow() as uow:
                request = await self._own_finished(uow, actor, ref)
                answer = await uow.feedback.get(request.id)
                if answer is None or answer.comment is not None:
                    raise FeedbackRefused(request.ref, "already_answered" if answer else "unknown_request")
                await uow.feedback.set_comment(request.id, text)
                uow.audit(AuditEntry("feedback_comment", "ok", actor, request.ref,
                                     {"action": request.action_id, "comment": text}))
        except DomainError as refusal:
            await self._audit(refusal_entry(actor, "feedback_comment", refusal, {"request": ref[:64]}))
            raise

    async def set_questions(self, actor: str, on: bool) -> None:
        """``/selfserve feedback on|off``: whether ``actor`` is asked after their requests finish."""
        async with self._uow() as uow:
            await uow.feedback.set_opted_out(actor, not on, uow.now())
            uow.audit(AuditEntry("feedback_questions", "ok", actor, None, {"on": on}))

    async def wanted(self, user_id: str) -> bool:
        """Whether ``user_id`` still wants the questions (read when one is about to be posted)."""
        async with self._reader() as uow:
            return not await uow.feedback.opted_out(user_id)

    @staticmethod
    async def _own_finished(uow: FeedbackUnit, actor: str, ref: str) -> RequestRecord:
        request_id = parse_request_ref(ref)
        request = None if request_id is None else await uow.requests.get(request_id, for_update=True)
        if request is None or request.requester_id != actor:  # asked once finished or its escalation resolved
            raise FeedbackRefused(ref[:64], "unknown_request")
        return request
