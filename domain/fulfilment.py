"""Carrying out an approved request: its ``on_approved`` steps, one job each, in order.

* The plan is kept with the request when it is made (``remember_plan``), so a catalog edit never
  changes what an approval sets in motion.
* The final approval's transaction writes every step as pending and queues the first step's job
  (``on_approved``). Each step's completion is recorded in the transaction that marks its job
  done, and that same transaction queues the next step (``domain.jobs.Effect``): a crash repeats
  at most the step in hand (whose webhook carries the same Idempotency-Key), never a finished one.
* A step that fails for good (``fail_step``, called by the job kind's failure hook in
  ``domain.fulfilment_failure``) fails the request: the requester is told in plain words, support
  gets the technical detail as an escalation, and support can run the step again
  (``domain.fulfilment_desk``).
* The plan row is locked by every change of a request's fulfilment, so a completion, a retry and
  an early end of access never interleave.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from domain import escalations, feedback, notifications, surfaces
from domain.catalog import Action
from domain.catalog.fulfilment import Fulfilment, FulfilmentStep
from domain.fulfilment_records import APPROVED, DONE, EXPIRED, FAILED, PENDING, PlanRecord, StepRecord
from domain.lifecycle import Status
from domain.ports import UnitOfWork
from domain.records import AuditEntry, Job, RequestRecord

STEP_JOB = "fulfil.step"
"""Run one step (payload ``{"phase", "index"}``): ``bot.fulfilment`` performs it."""
FAILED_NOTICE = "dm.requester.fulfilment_failed"
"""Tell the requester, in plain words, that their approved request could not be carried out."""
ADMIN_ALERT = "fulfil.support_alert"
"""Without a support channel (so no escalation): tell each admin by DM which step failed and why,
with a Retry button. The kind keeps its old name so that jobs queued before still run."""
PHASE_KEYS = {APPROVED: "on_approved", EXPIRED: "on_expired"}


def plan_json(spec: Fulfilment) -> dict[str, Any]:
    """The plan as stored: the catalog keys as written (durations in seconds)."""
    return spec.model_dump(mode="json", by_alias=True, exclude_none=True)


def plan_of(record: PlanRecord) -> Fulfilment:
    return Fulfilment.model_validate({key: value for key, value in record.spec.items() if key != "fields"})


def field_ids(record: PlanRecord) -> tuple[str, ...]:
    """The action's field ids when the request was made: ``form`` in templates has each of them."""
    return tuple(record.spec.get("fields", ()))


def steps_of(plan: Fulfilment, phase: str) -> tuple[FulfilmentStep, ...]:
    return plan.on_approved if phase == APPROVED else plan.on_expired


async def remember_plan(uow: UnitOfWork, request: RequestRecord, action: Action) -> None:
    """Keep ``action``'s fulfilment with the new request (nothing when it has none)."""
    spec = action.fulfilment
    if spec.on_approved or spec.expires_after is not None:
        await uow.fulfilment.add_plan(request.id, {"fields": [f.id for f in action.fields], **plan_json(spec)})


async def on_approved(uow: UnitOfWork, request: RequestRecord) -> None:
    """``request`` was just approved: start its ``on_approved`` steps (or grant its access)."""
    record = await uow.fulfilment.plan(request.id, for_update=True)
    if record is None:
        return
    plan = plan_of(record)
    if plan.on_approved:
        await start_phase(uow, request, APPROVED, plan.on_approved)
    else:
        await phase_done(uow, request, record, APPROVED)


async def start_phase(uow: UnitOfWork, request: RequestRecord, phase: str, steps: tuple[FulfilmentStep, ...]) -> None:
    """Write the phase's steps as pending and queue the first (in the caller's transaction)."""
    now = uow.now()
    await uow.fulfilment.add_steps([StepRecord(request.id, phase, index, step.kind, step.label, PENDING, 0, None,
                                               None, now) for index, step in enumerate(steps)])
    uow.enqueue(STEP_JOB, request.id, {"phase": phase, "index": 0}, key=step_job_key(request.id, phase, 0))
    await progressed(uow, request)
    uow.audit(AuditEntry("fulfilment_started", "ok", None, request.ref,
                         {"phase": phase, "steps": [step.label for step in steps]}))


async def progressed(uow: UnitOfWork, request: RequestRecord) -> None:
    """A step moved: the requester's receipt is redrawn, their Home tab if they watch it, and the
    messages of the request's escalations (support sees the steps, and Retry only while one failed)."""
    uow.enqueue(notifications.RECEIPT_REFRESH, request.id, {})
    await escalations.request_changed(uow, request)
    await surfaces.refresh_homes(uow, request, [request.requester_id])


def step_job_key(request_id: int, phase: str, index: int) -> str:
    """The first job of a step: a second enqueue of it would fail its transaction."""
    return f"fulfil:{request_id}:{phase}:{index}"


def idempotency_key(request: RequestRecord, phase: str, index: int) -> str:
    """Sent with every attempt of a step: the same for the request and step, whoever retries it;
    the request's creation time keeps it unique should ids ever be reused (a new database)."""
    return f"selfserve-{request.id}-{int(request.created_at.timestamp() * 1000)}-{phase}-{index}"


async def complete_step(uow: UnitOfWork, request_id: int, phase: str, index: int, detail: Mapping[str, Any],
                        result: Any) -> None:
    """Record the step done and move on: the next step's job, or the phase's end."""
    record = await uow.fulfilment.plan(request_id, for_update=True)
    request = await uow.requests.get(request_id)
    if record is None or request is None:
        return
    steps = {(s.phase, s.index): s for s in await uow.fulfilment.steps(request_id)}
    if steps[(phase, index)].status == DONE:
        return  # a second run of the step (an operator's retry of an old job) changes nothing
    now = uow.now()
    await uow.fulfilment.update_step(request_id, phase, index, now, status=DONE, detail=detail,
                                     result=result if result is not None else None)
    uow.audit(AuditEntry("fulfilment_step_done", "ok", None, request.ref,
                         {"phase": phase, "step": index, "label": steps[(phase, index)].label,
                          "step_kind": steps[(phase, index)].kind, **detail}))
    if request.status == Status.FAILED:  # run again after a failure, by support or an operator
        request = await uow.requests.set_status(request, Status.APPROVED, now)
    await progressed(uow, request)
    if (phase, index + 1) in steps:
        uow.enqueue(STEP_JOB, request.id, {"phase": phase, "index": index + 1},
                    key=step_job_key(request.id, phase, index + 1))
    else:
        await phase_done(uow, request, record, phase)


async def phase_done(uow: UnitOfWork, request: RequestRecord, record: PlanRecord, phase: str) -> None:
    """Every step of ``phase`` is done: access is granted (after ``on_approved``) or has ended."""
    from domain import access  # access starts phases of this module: imported here, not at the top

    if phase == APPROVED:
        uow.audit(AuditEntry("fulfilment_done", "ok", None, request.ref, {"phase": phase}))
        feedback.ask_when_finished(uow, request)  # asked once per request, whoever asks first
        await access.grant(uow, request, plan_of(record))
    else:
        await access.ended(uow, request)


async def record_attempt(uow: UnitOfWork, request_id: int, phase: str, index: int,
                         detail: Mapping[str, Any]) -> None:
    """An attempt that will be tried again: what happened, for status and the audit log."""
    await uow.fulfilment.update_step(request_id, phase, index, uow.now(), status=PENDING, detail=detail)
    kind = next((s.kind for s in await uow.fulfilment.steps(request_id) if (s.phase, s.index) == (phase, index)), None)
    uow.audit(AuditEntry("fulfilment_attempt_failed", "retry", None, f"REQ-{request_id}",
                         {"phase": phase, "step": index, "step_kind": kind, **detail}))
    request = await uow.requests.get(request_id)
    if request is not None:
        await progressed(uow, request)


async def fail_step(uow: UnitOfWork, job: Job, error: str) -> tuple[RequestRecord, StepRecord] | None:
    """The step of ``job`` and its request fail. Returns them (with the step as failed) for the caller
    to tell support and the requester (``tell_requester``); None when the request or its plan is gone."""
    if job.request_id is None:
        return None
    record = await uow.fulfilment.plan(job.request_id, for_update=True)
    request = await uow.requests.get(job.request_id)
    if record is None or request is None:
        return None
    phase, index = str(job.payload["phase"]), int(job.payload["index"])
    now = uow.now()
    step = next(s for s in await uow.fulfilment.steps(request.id) if (s.phase, s.index) == (phase, index))
    detail = {**(step.detail or {}), "error": error[:500]}
    await uow.fulfilment.update_step(request.id, phase, index, now, status=FAILED, detail=detail)
    request = await uow.requests.set_status(request, Status.FAILED, now)
    uow.audit(AuditEntry("fulfilment_failed", "failed", None, request.ref,
                         {"phase": phase, "step": index, "label": step.label, "step_kind": step.kind,
                          "attempts": step.attempts, "error": error[:500]}))
    await progressed(uow, request)
    return request, replace(step, status=FAILED, detail=detail)


def tell_requester(uow: UnitOfWork, request: RequestRecord, step: StepRecord) -> None:
    """The requester's DM that ``step`` could not be done, in plain words."""
    uow.enqueue(FAILED_NOTICE, request.id, {"phase": step.phase, "index": step.index})
