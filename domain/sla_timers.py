"""The job handler of service-level timers: reminders and breaches (``domain.service_levels``).

Each timer runs in its own transaction on the locked request row and re-checks it first: a timer
that races a decision, a cancellation or the next step finds nothing to do. Its effects are
recorded by conditional updates (a breach once; reminder ``n`` only after ``n - 1``), so a timer
run twice (a retry after a crash, a lease that passed to another process) acts once. A reminder
schedules the next one from now, so after downtime a missed reminder is sent once, not once per
missed period. Every reminder and breach is audited.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence

from domain import notifications, surfaces
from domain.approvals import eligible_approvers
from domain.catalog import Catalog
from domain.jobs import Done, Outcome
from domain.lifecycle import Status, Verdict
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.records import AuditEntry, DecisionRecord, Job, RequestRecord
from domain.routing import AUTO_APPROVER
from domain.service_levels import REMIND, REQUEST, REQUEST_DUE, STEP, STEP_DUE, clock_of, sla_of, standings
from domain.tracking import step_audience, waiting_on

APPROVAL_OVERDUE = "approval overdue"
REQUEST_OVERDUE = "request overdue"
Escalate = Callable[[UnitOfWork, Catalog, RequestRecord, str], Awaitable[None]]
"""Hands an overdue request to the support staff (``domain.escalations``), inside the timer's unit of work."""


class ServiceLevelTimers:
    """A ``domain.jobs.JobHandler`` for ``domain.service_levels.TIMER_KINDS``."""

    def __init__(self, catalog: Callable[[], Catalog], unit_of_work: UnitOfWorkFactory,
                 escalate: Escalate | None = None) -> None:
        self._catalog = catalog
        self._uow = unit_of_work
        self._escalate = escalate
        self._kinds = {REMIND: self._remind, STEP_DUE: self._step_due, REQUEST_DUE: self._request_due}

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        for job in jobs:
            async with self._uow() as uow:
                request = None if job.request_id is None else await uow.requests.get(job.request_id, for_update=True)
                if request is not None and request.status == Status.PENDING:
                    await self._kinds[job.kind](uow, self._catalog(), request, job)
            yield job, Done()

    async def _remind(self, uow: UnitOfWork, catalog: Catalog, request: RequestRecord, job: Job) -> None:
        step, number = int(job.payload["step"]), int(job.payload["number"])
        if step != request.current_step or not await uow.service_levels.reminded(request.id, step, number):
            return  # the step was decided meanwhile, or this reminder was sent already
        decisions = await uow.requests.decisions(request.id)
        approvers = waiting_on(catalog, request, decisions)
        levels = standings(catalog, request, await uow.service_levels.of_requests([request.id]), uow.now())
        due = next((level for level in levels if level.scope == STEP), None)
        for approver in approvers:
            uow.enqueue(notifications.APPROVER_REMIND, request.id,
                        notifications.approver_remind(step, approver, number, due))
        uow.audit(AuditEntry("sla_reminder", "ok", None, request.ref,
                             {"step": step, "number": number, "approvers": list(approvers)}))
        sla = sla_of(catalog, request)
        if sla is not None and sla.remind_every is not None:  # from now: a late reminder is not repeated
            uow.enqueue(REMIND, request.id, {"step": step, "number": number + 1},
                        due_at=clock_of(catalog).add(uow.now(), sla.remind_every))

    async def _step_due(self, uow: UnitOfWork, catalog: Catalog, request: RequestRecord, job: Job) -> None:
        step = int(job.payload["step"])
        if step != request.current_step or not await uow.service_levels.breach(request.id, STEP, step, uow.now()):
            return
        uow.audit(AuditEntry("sla_breached", "ok", None, request.ref,
                             {"scope": STEP, "step": step, "reason": APPROVAL_OVERDUE}))
        await self._ask_backups(uow, catalog, request, step)
        if self._escalate is not None:
            await self._escalate(uow, catalog, request, APPROVAL_OVERDUE)

    async def _request_due(self, uow: UnitOfWork, catalog: Catalog, request: RequestRecord, job: Job) -> None:
        if not await uow.service_levels.breach(request.id, REQUEST, None, uow.now()):
            return
        uow.audit(AuditEntry("sla_breached", "ok", None, request.ref,
                             {"scope": REQUEST, "step": request.current_step, "reason": REQUEST_OVERDUE}))
        if self._escalate is not None:
            await self._escalate(uow, catalog, request, REQUEST_OVERDUE)

    async def _ask_backups(self, uow: UnitOfWork, catalog: Catalog, request: RequestRecord, step: int) -> None:
        """The step's backup role's holders get the approval DM and may decide the step from now on:
        it is handed to them (a hand-over by ``AUTO_APPROVER``, so every surface that knows hand-overs
        shows and allows it). Those who could decide it already are not asked twice."""
        backup = request.steps[step].backup
        if backup is None:
            return
        decisions = await uow.requests.decisions(request.id)
        already = step_audience(catalog, request, step, decisions)
        backups = [person for person in eligible_approvers(request, catalog.members_of(backup))
                   if person not in already]
        for person in backups:
            await uow.requests.add_decision(DecisionRecord(request.id, step, AUTO_APPROVER, Verdict.DELEGATE, person,
                                                           uow.now(), note=f"{APPROVAL_OVERDUE}: asked as {backup}"))
            uow.enqueue(notifications.APPROVER_ASK, request.id, notifications.approver_ask(step, person))
        uow.audit(AuditEntry("backup_asked", "ok" if backups else "none", None, request.ref,
                             {"step": step, "role": backup, "approvers": backups}))
        await surfaces.refresh_homes(uow, request, backups)
