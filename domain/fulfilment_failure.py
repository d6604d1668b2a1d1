"""A fulfilment step that failed for good is escalated to support.

Support triages failures where they triage everything else: the support channel's escalation
(Claim, Resolve, Reassign, the thread relayed to the requester, the queue), in the same unit of
work that fails the step, so a failure is never recorded without support hearing of it. The
escalation's words carry the technical detail (the call as the catalog writes it, HTTP status,
error, the answer's first KB); it was recorded with secrets masked, and is masked again here with
the step's own ``${VAR}`` values, for an error that did not come from the step (the engine's own).
Without a support channel there is no escalation: each admin gets a DM instead (``ADMIN_ALERT``).
The requester is told once: by the escalation's first DM when this failure opened it (its
reason names the step, and its thread reaches support), by a DM of its own otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from domain.catalog import Catalog
from domain.catalog.fulfilment import FulfilmentStep
from domain.catalog.template_check import templates_of
from domain.escalations import OPENED, escalate
from domain.fulfilment import ADMIN_ALERT, fail_step, plan_of, steps_of, tell_requester
from domain.fulfilment_records import StepRecord
from domain.ports import UnitOfWork
from domain.records import Job
from domain.redaction import redact
from domain.templating import SECRET_REF

DETAIL_LIMITS = {"error": 500, "response": 1000}
"""Characters of each part kept in the escalation's words (which keep 2000 in all)."""


def failure_reason(step: StepRecord) -> str:
    """Why it was escalated, in plain words (the requester sees it too): the step, by name."""
    return f"step {step.index + 1} could not be done: {step.label}"[:200]


def secrets_of(step: FulfilmentStep, environ: Mapping[str, str]) -> list[str]:
    """The values of the ``${VAR}``s ``step`` reads, as the environment has them now."""
    names = {match[1] for _path, source, _mode in templates_of(step) if isinstance(source, str)
             for match in SECRET_REF.finditer(source)}
    return [environ[name] for name in sorted(names) if environ.get(name)]


def technical_detail(step: StepRecord, spec: FulfilmentStep | None, secrets: list[str]) -> str:
    """What support needs to fix the other system: which call, how it answered, the error."""
    detail = step.detail or {}
    tries = f"{step.attempts} attempt{'s' if step.attempts != 1 else ''}"
    lines = [f"Fulfilment step {step.index + 1} ({step.label}, {step.phase}) failed after {tries}."]
    if spec is not None and spec.webhook is not None:
        lines.append(f"Call: {spec.webhook.method} {spec.webhook.url}")  # as written: ${VAR} unresolved
    for key, label in (("status", "HTTP status"), ("error", "Error"), ("idempotency_key", "Idempotency-Key"),
                       ("response", "Response")):
        if detail.get(key) is not None:
            lines.append(f"{label}: {str(detail[key])[:DETAIL_LIMITS.get(key, 200)]}")
    return redact("\n".join(lines), secrets)


@dataclass(frozen=True)
class StepFailed:
    """The failure hook of ``fulfil.step`` (a ``domain.jobs.FailureHook``). ``catalog``: the catalog
    now (its support channel); ``environ``: where the steps read ``${VAR}`` (the process's)."""

    catalog: Callable[[], Catalog]
    environ: Mapping[str, str] | None = None

    async def __call__(self, uow: UnitOfWork, job: Job, error: str) -> None:
        failed = await fail_step(uow, job, error)
        if failed is None:
            return
        request, step = failed
        record = await uow.fulfilment.plan(request.id)
        steps = steps_of(plan_of(record), step.phase) if record is not None else ()
        spec = steps[step.index] if step.index < len(steps) else None
        secrets = secrets_of(spec, os.environ if self.environ is None else self.environ) if spec else []
        reason = failure_reason(step)
        escalation = await escalate(uow, self.catalog(), request, by=None, reason=reason,
                                    words=technical_detail(step, spec, secrets))
        if escalation is None:  # no support channel: the admins are told directly
            uow.enqueue(ADMIN_ALERT, request.id, {"phase": step.phase, "index": step.index})
        opened_for_this = escalation is not None and [(e.what, e.reason) for e in escalation.history] == [
            (OPENED, reason)]
        if not opened_for_this:  # the escalation's first DM says it, with where to answer: one DM, not two
            tell_requester(uow, request, step)
