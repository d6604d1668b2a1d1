"""What operators may do with jobs: look at the queue, and send a failed job round again.

Jobs nobody claims are shown apart: a process claims only the kinds it has a handler for, so in
a rolling deploy (or after a kind is retired) jobs of a kind no running process knows wait
instead of failing, and the operator must be able to see them.

A retry is audited with who asked (``job_retried``), in the same transaction that makes the job
due, so the log never claims a retry that did not happen; asking to retry a job that is not
failed changes nothing and is audited as refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from domain.jobs import CANCELLED, DONE, FAILED, PENDING
from domain.ports import JobStats, UnitOfWorkFactory
from domain.records import AuditEntry, JobState, request_ref

RETRIED_EVENT = "job_retried"
UNCLAIMED_AFTER = timedelta(minutes=5)
"""A due job no process has held for this long is unclaimed: every runner looks at least once a
minute, and a dead process's lease (60 s) is taken over within two."""


@dataclass(frozen=True)
class QueueView:
    stats: JobStats
    unclaimed: Mapping[str, int]
    """Per kind, jobs due for over ``UNCLAIMED_AFTER`` that nobody has claimed."""
    jobs: list[JobState]


class NotRetryable(Exception):
    """The job does not exist or has not failed."""

    def __init__(self, job_id: int, status: str | None) -> None:
        what = "no such job" if status is None else f"it is {status}, and only failed jobs can be retried"
        super().__init__(f"job {job_id}: {what}")
        self.status = status


class JobDesk:
    def __init__(self, unit_of_work: UnitOfWorkFactory, reader: UnitOfWorkFactory) -> None:
        self._uow = unit_of_work
        self._reader = reader

    async def overview(self, *, limit: int, failed_only: bool = False, unclaimed_only: bool = False) -> QueueView:
        """The queue's depth, the jobs nobody claims, and the latest jobs (only failed ones with
        ``failed_only``, only unclaimed ones with ``unclaimed_only``)."""
        statuses: Sequence[str] = (FAILED,) if failed_only else (PENDING, FAILED, DONE, CANCELLED)
        async with self._reader() as uow:
            before = uow.now() - UNCLAIMED_AFTER
            stats, unclaimed = await uow.jobs.stats(uow.now()), await uow.jobs.unclaimed(before)
            if unclaimed_only:
                return QueueView(stats, unclaimed, await uow.jobs.list_unclaimed(before, limit))
            return QueueView(stats, unclaimed, await uow.jobs.list(statuses, limit))

    async def stats(self) -> JobStats:
        """The queue's depth and the age of its oldest due job (health, metrics)."""
        async with self._reader() as uow:
            return await uow.jobs.stats(uow.now())

    async def retry(self, job_id: int, actor: str) -> JobState:
        """Make failed job ``job_id`` due now with fresh attempts; raises ``NotRetryable``."""
        async with self._uow() as uow:
            job = await uow.jobs.requeue_failed(job_id, uow.now())
            if job is not None:
                ref = request_ref(job.request_id) if job.request_id else None
                uow.audit(AuditEntry(RETRIED_EVENT, "ok", actor, ref,
                                     {"job": job.id, "kind": job.kind, "last_error": (job.last_error or "")[:500]}))
                return job
            found = await uow.jobs.get(job_id)
        status = found.status if found else None
        async with self._uow() as uow:
            uow.audit(AuditEntry(RETRIED_EVENT, "refused", actor, None, {"job": job_id, "status": status}))
        raise NotRetryable(job_id, status)
