"""An in-memory implementation of ``domain.ports``: the service's rules tested without a database.

A unit of work works on a copy of the store and publishes it on commit, so a refusal or an
error inside one changes nothing, as a rolled-back transaction would.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from domain.ports import DuplicateSubmission
from domain.records import AuditEntry, DecisionRecord, MessageRecord, NewRequest, RequestRecord


@dataclass
class Store:
    """Everything "committed" so far."""

    requests: dict[int, RequestRecord] = field(default_factory=dict)
    views: dict[str, int] = field(default_factory=dict)
    decisions: list[DecisionRecord] = field(default_factory=list)
    messages: list[MessageRecord] = field(default_factory=list)
    jobs: list[tuple[str, int | None, Mapping[str, Any]]] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)


class MemoryRequests:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, new: NewRequest, status: str, now: datetime) -> RequestRecord:
        if new.source_view_id is not None and new.source_view_id in self._store.views:
            raise DuplicateSubmission(new.source_view_id)
        request_id = len(self._store.requests) + 1
        record = RequestRecord(request_id, new.action_id, new.action_title, new.requester_id, status, 0, new.steps,
                               new.allow_self_approval, new.answers, now, now, None)
        self._store.requests[request_id] = record
        if new.source_view_id is not None:
            self._store.views[new.source_view_id] = request_id
        return record

    async def get(self, request_id: int, *, for_update: bool = False) -> RequestRecord | None:
        return self._store.requests.get(request_id)

    async def find_by_view(self, view_id: str) -> RequestRecord | None:
        request_id = self._store.views.get(view_id)
        return None if request_id is None else self._store.requests[request_id]

    async def set_progress(self, request: RequestRecord, status: str, current_step: int,
                           now: datetime) -> RequestRecord:
        updated = replace(request, status=status, current_step=current_step, updated_at=now,
                          decided_at=None if status == "pending" else now)
        self._store.requests[request.id] = updated
        return updated

    async def decisions(self, request_id: int) -> list[DecisionRecord]:
        return [d for d in self._store.decisions if d.request_id == request_id]

    async def add_decision(self, decision: DecisionRecord) -> None:
        self._store.decisions.append(decision)

    async def messages(self, request_id: int, purpose: str) -> list[MessageRecord]:
        return [m for m in self._store.messages if m.request_id == request_id and m.purpose == purpose]

    async def add_messages(self, messages: Sequence[MessageRecord], now: datetime) -> None:
        self._store.messages.extend(messages)


class MemoryUnitOfWork:
    def __init__(self, database: MemoryDatabase) -> None:
        self._database = database
        self._work = copy.deepcopy(database.store)
        self.requests = MemoryRequests(self._work)

    def now(self) -> datetime:
        return self._database.tick()

    def audit(self, entry: AuditEntry) -> None:
        self._work.audit.append(entry)

    def enqueue(self, kind: str, request_id: int | None, payload: Mapping[str, Any]) -> None:
        self._work.jobs.append((kind, request_id, dict(payload)))

    async def __aenter__(self) -> MemoryUnitOfWork:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if exc_type is None:
            self._database.store = self._work


class MemoryDatabase:
    """The factory side: ``unit_of_work`` and ``reader`` for the service, ``audit`` as its sink."""

    def __init__(self) -> None:
        self.store = Store()
        self._clock = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def tick(self) -> datetime:
        self._clock += timedelta(seconds=1)
        return self._clock

    def unit_of_work(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)

    async def audit(self, entry: AuditEntry) -> None:
        self.store.audit.append(entry)
