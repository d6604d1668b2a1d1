"""Time-bound access: granted when the last ``on_approved`` step is done, ended by ``on_expired``.

``expires_after`` counts from the grant, not from the submission. The end is a delayed job
(``ACCESS_END``) in the database, so it fires after downtime too, once: it and "End access now"
both start the ``on_expired`` phase under the plan's row lock, and only the first finds it not
started. A heads-up (``ACCESS_WARNING``) goes out ``heads_up`` before the end.

These are not ``timer.*`` kinds: those are cancelled when a request finishes, and access is
granted after that.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import datetime

from domain import notifications
from domain.catalog.fulfilment import Fulfilment
from domain.fulfilment import plan_of, start_phase
from domain.fulfilment_records import EXPIRED
from domain.jobs import Done, Outcome
from domain.lifecycle import Status
from domain.ports import UnitOfWork
from domain.records import AuditEntry, Job, RequestRecord

ACCESS_END = "access.end"
"""Access runs out: start ``on_expired`` (performed by ``AccessTimer`` here, no outside system)."""
ACCESS_WARNING = "dm.requester.access_warning"
"""Tell the requester their access ends soon, with End access now and Extend."""
ACCESS_ENDED = "dm.requester.access_ended"
"""Tell the requester their access has ended."""
KIND_PREFIX = "access."


async def grant(uow: UnitOfWork, request: RequestRecord, plan: Fulfilment) -> None:
    """Access starts now (the last ``on_approved`` step is done); its end and heads-up are queued."""
    if plan.expires_after is None:
        return
    now = uow.now()
    until = now + plan.expires_after
    await uow.fulfilment.set_access(request.id, granted_at=now, expires_at=until)
    uow.enqueue(ACCESS_END, request.id, {}, due_at=until, key=f"access-end:{request.id}")
    heads_up = plan.heads_up
    if heads_up is not None and heads_up < plan.expires_after:
        uow.enqueue(ACCESS_WARNING, request.id, {}, due_at=until - heads_up, key=f"access-warning:{request.id}")
    uow.audit(AuditEntry("access_granted", "ok", None, request.ref, {"until": until.isoformat()}))
    uow.enqueue(notifications.RECEIPT_REFRESH, request.id, {})


async def end(uow: UnitOfWork, request_id: int, by: str | None) -> RequestRecord | None:
    """End the access now (``by``: who asked; None: it ran out): ``on_expired`` starts, once.
    Returns the request if this call started it, None if it was not granted or already ending."""
    record = await uow.fulfilment.plan(request_id, for_update=True)
    request = await uow.requests.get(request_id)
    if record is None or request is None or record.granted_at is None or record.ended_at is not None:
        return None
    if any(step.phase == EXPIRED for step in await uow.fulfilment.steps(request_id)):
        return None
    now = uow.now()
    await uow.fulfilment.set_access(request_id, ended_at=now, ended_by=by)
    await uow.jobs.cancel(request_id, KIND_PREFIX, now)  # the timer, when ended early
    await uow.jobs.cancel(request_id, ACCESS_WARNING, now)
    uow.audit(AuditEntry("access_ending", "ok", by, request.ref,
                         {"because": "ran_out" if by is None else "ended_early"}))
    await start_phase(uow, request, EXPIRED, plan_of(record).on_expired)
    return request


async def ended(uow: UnitOfWork, request: RequestRecord) -> None:
    """Every ``on_expired`` step is done: the request is ``expired`` and the requester told."""
    await uow.requests.set_status(request, Status.EXPIRED, uow.now())
    uow.audit(AuditEntry("access_ended", "ok", None, request.ref, {}))
    uow.enqueue(ACCESS_ENDED, request.id, {})
    uow.enqueue(notifications.RECEIPT_REFRESH, request.id, {})


def window(granted_at: datetime | None, expires_at: datetime | None) -> tuple[datetime, datetime] | None:
    return None if granted_at is None or expires_at is None else (granted_at, expires_at)


class AccessTimer:
    """The ``access.end`` job handler: the end happens in the job's own completion transaction."""

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        for job in jobs:
            request_id = job.request_id
            if request_id is None:
                yield job, Done()
                continue

            async def ran_out(uow: UnitOfWork, request_id: int = request_id) -> None:
                await end(uow, request_id, None)

            yield job, Done(effects=[ran_out])
