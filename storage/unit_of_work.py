"""A unit of work: one driver transaction, every repository bound to it.

Jobs and audit entries are buffered and written at commit, after all other writes:
each kind becomes multi-row inserts (one per 50 rows), and the lock on the audit chain's head is held for the
shortest time and always taken last (no lock-order deadlocks between a decision's row lock
and the audit head).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Protocol

from domain.records import AuditEntry, Job, NewJob
from storage.driver import Driver, Transaction
from storage.repositories.analytics import AnalyticsRepository
from storage.repositories.audit import AuditRepository, KnownHead
from storage.repositories.away import AwayRepository
from storage.repositories.escalations import EscalationRepository
from storage.repositories.feedback import FeedbackRepository
from storage.repositories.fulfilment import FulfilmentRepository
from storage.repositories.gauges import GaugeRepository
from storage.repositories.home_viewers import HomeViewerRepository
from storage.repositories.jobs import JobRepository
from storage.repositories.requests import RequestRepository
from storage.repositories.seen_events import SeenEventRepository
from storage.repositories.service_levels import ServiceLevelRepository


def utcnow() -> datetime:
    return datetime.now(UTC)


class Dispatcher(Protocol):
    """Runs jobs in this process right after their commit (see ``domain.job_runner``)."""

    lease: timedelta
    owner: str

    def handles(self, kind: str) -> bool:
        """Whether this process's runner is running and runs jobs of ``kind``: only those are born
        claimed by it, and only for those are other processes not woken."""

    def dispatch(self, jobs: list[Job]) -> None:
        """Run ``jobs``, committed just now already claimed by ``owner``."""

    def wake(self) -> None:
        """A job for later was committed: look again at when the next one is due."""


class UnitOfWork:
    requests: RequestRepository
    jobs: JobRepository
    away: AwayRepository
    home_viewers: HomeViewerRepository
    feedback: FeedbackRepository
    analytics: AnalyticsRepository
    fulfilment: FulfilmentRepository
    service_levels: ServiceLevelRepository
    escalations: EscalationRepository
    seen_events: SeenEventRepository
    gauges: GaugeRepository
    audit_log: AuditRepository

    def __init__(self, driver: Driver, clock: Callable[[], datetime] = utcnow, *, read_only: bool = False,
                 dispatcher: Dispatcher | None = None, known_head: KnownHead | None = None) -> None:
        """``dispatcher``, when given, receives the jobs of this unit that are due at once, when
        committed, already leased to it; without one they wait for a worker's claim. ``known_head`` is the
        process's hint of the audit chain's head (see ``AuditRepository``)."""
        self._driver = driver
        self._clock = clock
        self._read_only = read_only
        self._dispatcher = dispatcher
        self._known_head = known_head
        self._pending_audit: list[AuditEntry] = []
        self._pending_jobs: list[NewJob] = []
        self._transaction: AbstractAsyncContextManager[Transaction] | None = None

    def now(self) -> datetime:
        return self._clock()

    def audit(self, entry: AuditEntry) -> None:
        """Record ``entry`` as part of this transaction (written at commit)."""
        self._pending_audit.append(entry)

    def enqueue(self, kind: str, request_id: int | None, payload: Mapping[str, Any], *,
                due_at: datetime | None = None, key: str | None = None) -> None:
        """Queue durable work as part of this transaction (written at commit)."""
        self._pending_jobs.append(NewJob(kind, request_id, payload, due_at, key))

    async def __aenter__(self) -> UnitOfWork:
        self._transaction = self._driver.transaction(read_only=self._read_only)
        tx = self._tx = await self._transaction.__aenter__()
        self.requests = RequestRepository(tx)
        self.jobs = JobRepository(tx, signals=self._driver.dialect.name == "postgresql")
        self.away = AwayRepository(tx)
        self.home_viewers = HomeViewerRepository(tx)
        self.feedback = FeedbackRepository(tx)
        self.analytics = AnalyticsRepository(tx)
        self.fulfilment = FulfilmentRepository(tx)
        self.service_levels = ServiceLevelRepository(tx)
        self.escalations = EscalationRepository(tx)
        self.seen_events = SeenEventRepository(tx)
        self.gauges = GaugeRepository(tx)
        self.audit_log = AuditRepository(tx, self._known_head)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Write the buffered jobs and audit entries, then commit (or roll back on error)."""
        assert self._transaction is not None, "unit of work was not entered"
        jobs: list[Job] = []
        if exc_type is None:
            try:
                now = self.now()
                jobs = await self._write_jobs(now)
                await self.audit_log.append(self._pending_audit, now)
            except BaseException as error:
                await self._transaction.__aexit__(type(error), error, error.__traceback__)
                raise
        try:
            await self._transaction.__aexit__(exc_type, exc, tb)  # commits when exc_type is None
        finally:
            # Also when cancelled after COMMIT returned (e.g. while the connection goes back
            # to its pool): the jobs are stored and leased to us, so run them now.
            if jobs and self._dispatcher and self._tx.committed:
                claimed = [job for job in jobs if job.attempts]
                if claimed:
                    self._dispatcher.dispatch(claimed)
                if len(claimed) < len(jobs):
                    self._dispatcher.wake()

    async def _write_jobs(self, now: datetime) -> list[Job]:
        """Insert the buffered jobs, those due now born claimed by this process's dispatcher.
        Only jobs no runner here will take wake the other processes' runners (PostgreSQL's
        NOTIFY): a job for later of a kind it runs is planned for by the runner here, woken
        in-process; if this process dies first, the others find it at their next look."""
        if not self._pending_jobs:
            return []
        dispatcher = self._dispatcher
        lease_until = now + dispatcher.lease if dispatcher else None
        kinds = {job.kind for job in self._pending_jobs if dispatcher and dispatcher.handles(job.kind)}
        jobs = await self.jobs.enqueue(self._pending_jobs, now, dispatcher.owner if dispatcher else None,
                                       lease_until, kinds)
        if any(job.kind not in kinds for job in jobs):
            await self.jobs.notify()
        return jobs
