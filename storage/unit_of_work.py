"""A unit of work: one session, one transaction, every repository bound to it.

Audit entries are buffered and appended at commit, after all other writes, so the lock on
the chain's head is held for the shortest time and always taken last (no lock-order
deadlocks between a decision's row lock and the audit head).
"""

from __future__ import annotations

from datetime import datetime, timezone
from types import TracebackType
from typing import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.records import AuditEntry
from storage.repositories.audit import AuditRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.requests import RequestRepository


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UnitOfWork:
    requests: RequestRepository
    outbox: OutboxRepository
    audit_log: AuditRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock
        self._pending_audit: list[AuditEntry] = []
        self.outbox_ids: list[int] = []

    def now(self) -> datetime:
        return self._clock()

    def audit(self, entry: AuditEntry) -> None:
        """Record ``entry`` as part of this transaction (written at commit)."""
        self._pending_audit.append(entry)

    async def enqueue(self, kind: str, request_id: int | None, payload: dict[str, object]) -> None:
        """Queue after-commit work; its id is kept so the caller can deliver it right away."""
        self.outbox_ids.append(await self.outbox.enqueue(kind, request_id, payload, self.now()))

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        await self.session.begin()
        self.requests = RequestRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.audit_log = AuditRepository(self.session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                await self.audit_log.append(self._pending_audit, self.now())
                await self.session.commit()
            else:
                await self.session.rollback()
        finally:
            await self.session.close()
