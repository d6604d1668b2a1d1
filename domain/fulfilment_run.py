"""One attempt at one fulfilment step, as the adapter performing it sees the domain.

``StepRunner.prepare`` marks the step running (so the receipt shows it) and hands back what the
step needs; ``render`` turns its templates into exactly what will be sent; ``outcome`` turns
what happened into the engine's outcome, carrying the step's record as an effect of it. The
call itself (Slack or HTTP) is the adapter's: the domain never talks to the outside.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from domain.catalog.fulfilment import FulfilmentStep
from domain.catalog.template_context import Person, context
from domain.fulfilment import complete_step, field_ids, idempotency_key, plan_of, progressed, record_attempt, steps_of
from domain.fulfilment_records import DONE, RUNNING
from domain.jobs import Done, Fail, Outcome, Retry
from domain.ports import UnitOfWorkFactory
from domain.records import Job, RequestRecord
from domain.redaction import redact, redact_data, redact_headers
from domain.templating import RenderError, Secrets, render_json, render_plain, render_slack

EXCERPT_BYTES = 1024
MAX_RETRY_AFTER = 3600.0


@dataclass(frozen=True)
class Prepared:
    request: RequestRecord
    phase: str
    index: int
    step: FulfilmentStep
    attempt: int
    saved: Mapping[str, Any]
    access: tuple[Any, Any] | None
    field_ids: tuple[str, ...]

    @property
    def key(self) -> str:
        return idempotency_key(self.request, self.phase, self.index)


@dataclass(frozen=True)
class Rendered:
    """What the step sends: ``text`` (message, notify), or a webhook's call; ``secrets`` read."""

    text: str = ""
    method: str = ""
    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    timeout: timedelta = timedelta(seconds=10)
    secrets: tuple[str, ...] = ()

    def shown(self) -> dict[str, Any]:
        """The call as it may be shown or recorded: secrets and credentials masked."""
        if not self.method:
            return {"text": self.text}
        return {"method": self.method, "url": redact(self.url, self.secrets),
                "headers": redact_headers(self.headers, self.secrets), "json": redact_data(self.body, self.secrets)}


@dataclass(frozen=True)
class Attempt:
    """What the adapter saw: ``ok``, or ``transient`` (try again; ``retry_after`` if told), or neither
    (permanent). ``status`` and ``response`` for HTTP; ``result`` the JSON answer."""

    ok: bool
    error: str = ""
    transient: bool = False
    retry_after: float | None = None
    status: int | None = None
    response: str | None = None
    result: Any = None


def render(prepared: Prepared, person: Person, environ: Mapping[str, str] | None = None) -> Rendered:
    """The step's templates rendered for ``person``; raises RenderError (no secret in its text)."""
    values = context(prepared.request, person, prepared.saved, prepared.access, prepared.field_ids)
    return render_step(prepared.step, values, environ)


def render_step(step: FulfilmentStep, values: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Rendered:
    """``step`` rendered in ``values`` (a run's context, or ``preview``'s sample one)."""
    if step.message is not None:
        return Rendered(text=render_slack(step.message, values))
    if step.notify is not None:
        return Rendered(text=render_slack(step.notify.message, values))
    assert step.webhook is not None
    secrets = Secrets(environ=os.environ if environ is None else environ)
    hook = step.webhook
    url = render_plain(hook.url, values, secrets)
    headers = {name: render_plain(value, values, secrets) for name, value in hook.headers.items()}
    body = None if hook.body is None else render_json(hook.body, values, secrets)
    return Rendered(method=hook.method, url=url, headers=headers, body=body, timeout=hook.timeout,
                    secrets=tuple(secrets.values))


def outcome(prepared: Prepared, rendered: Rendered | None, attempt: Attempt) -> Outcome:
    """The engine's outcome for ``attempt``, with the step's record as its effect."""
    secrets = rendered.secrets if rendered is not None else ()
    detail: dict[str, Any] = {"attempt": prepared.attempt, "idempotency_key": prepared.key}
    if attempt.status is not None:
        detail["status"] = attempt.status
    if attempt.response is not None:
        detail["response"] = redact(attempt.response[:EXCERPT_BYTES], secrets)
    error = redact(attempt.error, secrets)[:500]
    if error:
        detail["error"] = error
    request_id, phase, index = prepared.request.id, prepared.phase, prepared.index
    if attempt.ok:
        keeps = prepared.step.webhook is not None and prepared.step.webhook.save_as is not None
        saved = redact_data(attempt.result, secrets) if keeps else None

        async def done(uow: Any) -> None:
            await complete_step(uow, request_id, phase, index, detail, saved)

        return Done(effects=[done])

    async def noted(uow: Any) -> None:
        await record_attempt(uow, request_id, phase, index, detail)

    retries = prepared.step.webhook.retries if prepared.step.webhook is not None else 7
    if attempt.transient and prepared.attempt <= retries:
        after = None if attempt.retry_after is None else min(max(attempt.retry_after, 0.0), MAX_RETRY_AFTER)
        return Retry(error, after, effects=[noted])
    if attempt.transient:
        error = f"gave up after {prepared.attempt} attempts: {error}"
    return Fail(error, effects=[noted])


class StepRunner:
    """Reads and marks steps for the adapter (``bot.fulfilment``)."""

    def __init__(self, unit_of_work: UnitOfWorkFactory) -> None:
        self._uow = unit_of_work

    async def prepare(self, job: Job) -> Prepared | None:
        """Mark the job's step running and return what it needs; None when there is nothing to do
        (the request is gone, or the step is done already)."""
        if job.request_id is None:
            return None
        phase, index = str(job.payload["phase"]), int(job.payload["index"])
        async with self._uow() as uow:
            record = await uow.fulfilment.plan(job.request_id)
            request = await uow.requests.get(job.request_id)
            if record is None or request is None:
                return None
            steps = await uow.fulfilment.steps(request.id)
            mine = next((s for s in steps if (s.phase, s.index) == (phase, index)), None)
            if mine is None or mine.status == DONE:
                return None
            attempt = mine.attempts + 1
            await uow.fulfilment.update_step(request.id, phase, index, uow.now(), status=RUNNING, attempts=attempt)
            await progressed(uow, request)
        saved = {s.result_name: s.result for s in _saved(plan_of(record), steps)}
        access = None if record.granted_at is None else (record.granted_at, record.expires_at)
        return Prepared(request, phase, index, steps_of(plan_of(record), phase)[index], attempt, saved, access,
                        field_ids(record))


@dataclass(frozen=True)
class _Saved:
    result_name: str
    result: Any


def _saved(plan: Any, steps: list[Any]) -> list[_Saved]:
    """The answers earlier webhook steps kept with ``save_as``."""
    found = []
    for step in steps:
        if step.status != DONE or step.result is None:
            continue
        spec = steps_of(plan, step.phase)[step.index]
        if spec.webhook is not None and spec.webhook.save_as:
            found.append(_Saved(spec.webhook.save_as, step.result))
    return found


__all__ = ["Attempt", "Prepared", "Rendered", "RenderError", "StepRunner", "outcome", "render", "render_step"]
