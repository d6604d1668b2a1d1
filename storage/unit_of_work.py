"""A unit of work: one connection, one transaction, every repository bound to it.

Repositories speak Core SQL on a plain ``AsyncConnection``: an ORM ``AsyncSession`` around
each transaction cost about as much CPU again as the statements themselves, on paths that
run for every click.

Outbox jobs and audit entries are buffered and written at commit, after all other writes:
each becomes one multi-row insert, and the lock on the audit chain's head is held for the
shortest time and always taken last (no lock-order deadlocks between a decision's row lock
and the audit head).
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any, Callable, Mapping, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.records import AuditEntry, NewOutboxJob, OutboxJob
from storage.repositories.audit import AuditRepository, KnownHead
from storage.repositories.outbox import OutboxRepository
from storage.repositories.requests import RequestRepository


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Dispatcher(Protocol):
    """Delivers outbox jobs in this process right after their commit (see ``bot.outbox_worker``)."""

    lease: timedelta

    def dispatch(self, jobs: list[OutboxJob]) -> None: ...


class UnitOfWork:
    requests: RequestRepository
    outbox: OutboxRepository
    audit_log: AuditRepository

    def __init__(self, engine: AsyncEngine, clock: Callable[[], datetime] = utcnow,
                 gate: asyncio.Lock | None = None, dispatcher: Dispatcher | None = None,
                 known_head: KnownHead | None = None) -> None:
        """``gate``, when given, is held for the whole transaction (see ``storage.database``).
        ``dispatcher``, when given, receives the outbox jobs of this unit once committed,
        already leased to it; without one they wait for a worker's poll. ``known_head`` is the
        process's hint of the audit chain's head (see ``AuditRepository``)."""
        self._engine = engine
        self._clock = clock
        self._gate = gate
        self._dispatcher = dispatcher
        self._known_head = known_head
        self._pending_audit: list[AuditEntry] = []
        self._pending_jobs: list[NewOutboxJob] = []
        self._exit = AsyncExitStack()

    def now(self) -> datetime:
        return self._clock()

    def audit(self, entry: AuditEntry) -> None:
        """Record ``entry`` as part of this transaction (written at commit)."""
        self._pending_audit.append(entry)

    def enqueue(self, kind: str, request_id: int | None, payload: Mapping[str, Any]) -> None:
        """Queue after-commit work as part of this transaction (written at commit)."""
        self._pending_jobs.append(NewOutboxJob(kind, request_id, payload))

    async def __aenter__(self) -> UnitOfWork:
        if self._gate is not None:
            await self._exit.enter_async_context(self._gate)
        try:
            self.connection: AsyncConnection = await self._exit.enter_async_context(self._engine.connect())
            await self.connection.begin()
        except BaseException:
            await self._exit.aclose()
            raise
        self.requests = RequestRepository(self.connection)
        self.outbox = OutboxRepository(self.connection)
        self.audit_log = AuditRepository(self.connection, self._known_head)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        jobs: list[OutboxJob] = []
        try:
            if exc_type is None:
                now = self.now()
                lease_until = now + self._dispatcher.lease if self._dispatcher else None
                jobs = await self.outbox.enqueue(self._pending_jobs, now, lease_until)
                await self.audit_log.append(self._pending_audit, now)
                await self.connection.commit()
            else:
                await self.connection.rollback()
        finally:
            await self._exit.aclose()  # returns the connection to the pool, then opens the gate
        if jobs and self._dispatcher:
            self._dispatcher.dispatch(jobs)
