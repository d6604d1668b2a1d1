"""Recording what handlers reported, in one transaction for a batch of outcomes.

Every write is fenced by the claim's attempt count, so a worker whose lease ran out and whose
job was taken over records nothing. A retry moves the job's due time; an attempt a rate limit
cut short stays a fence but does not count toward the cap; a job out of attempts, or one that
cannot succeed, ends as failed and is audited.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from domain.jobs import Done, Effect, Fail, FailureHook, Outcome, Retry, backoff
from domain.ports import UnitOfWork
from domain.records import AuditEntry, Job, MessageRecord, request_ref

logger = logging.getLogger(__name__)
FAILED_EVENT = "job_failed"


@dataclass(frozen=True)
class Recorded:
    job: Job
    outcome: Outcome


class OutcomeWriter:
    def __init__(self, max_attempts: int, on_failure: Mapping[str, FailureHook] | None = None) -> None:
        """``on_failure``: per kind, what a job's failure changes besides (``domain.jobs.FailureHook``)."""
        self.max_attempts = max_attempts
        self._on_failure = dict(on_failure or {})

    async def write(self, uow: UnitOfWork, recorded: Sequence[Recorded]) -> None:
        now = uow.now()
        done = [r for r in recorded if isinstance(r.outcome, Done)]
        completed = await uow.jobs.complete([r.job for r in done], now)
        messages: list[MessageRecord] = []
        for item in done:
            assert isinstance(item.outcome, Done)
            if item.job.id not in completed:
                logger.warning("job %s was claimed again meanwhile; its outcome is left to that claim", item.job.id)
                continue
            messages += item.outcome.messages
            for entry in item.outcome.audit:
                uow.audit(entry)
            await _apply(uow, item.outcome.effects)
        if messages:
            await uow.requests.add_messages(messages, now)  # one statement for the whole batch
        for item in recorded:
            if isinstance(item.outcome, Retry):
                await self._retry(uow, item.job, item.outcome)
            elif isinstance(item.outcome, Fail):
                await self.fail(uow, item.job, item.outcome.error, item.outcome.audit, item.outcome.effects)

    async def _retry(self, uow: UnitOfWork, job: Job, retry: Retry) -> None:
        if not retry.rate_limited and job.tries >= self.max_attempts:
            await self.fail(uow, job, f"gave up after {job.tries} attempts: {retry.error}", ())
            return
        delay = backoff(job.tries) if retry.after is None else retry.after
        if await uow.jobs.retry_later(job, uow.now() + timedelta(seconds=delay), retry.error,
                                      counted=not retry.rate_limited):
            await _apply(uow, retry.effects)

    async def fail(self, uow: UnitOfWork, job: Job, error: str, audit: Sequence[AuditEntry],
                   effects: Sequence[Effect] = ()) -> None:
        if not await uow.jobs.fail(job, uow.now(), error):
            return
        for entry in audit:
            uow.audit(entry)
        await _apply(uow, effects)
        hook = self._on_failure.get(job.kind)
        if hook is not None:
            await hook(uow, job, error)
        ref = request_ref(job.request_id) if job.request_id else None
        uow.audit(AuditEntry(FAILED_EVENT, "failed", None, ref,
                             {"job": job.id, "kind": job.kind, "attempts": job.attempts, "error": error[:500]}))


async def _apply(uow: UnitOfWork, effects: Sequence[Effect]) -> None:
    for effect in effects:
        await effect(uow)
