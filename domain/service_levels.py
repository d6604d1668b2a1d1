"""Service levels: the clocks a request runs under, started in the transaction that starts the wait.

An action's ``sla`` sets three clocks (``domain.catalog.service_levels``): each step must be decided
within ``decide_within`` of being asked, the whole request completed within ``complete_within`` of
its submission, and the approvers of a waiting step are reminded every ``remind_every``. Each clock
is a row (``Deadline``: its due time, counted in business time by ``domain.business_hours``, is
fixed when it starts, so a catalog edit does not move a request's promise) and a timer job of the
durable engine (``domain.sla_timers`` performs them). A step's timers are cancelled when the next
step starts; all of a request's timers when it finishes (``domain.jobs.TIMER_PREFIX``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.business_hours import Clock, clock_for
from domain.catalog import Catalog
from domain.catalog.service_levels import ServiceLevel
from domain.lifecycle import Status
from domain.ports import UnitOfWork
from domain.records import Deadline, RequestRecord

STEP, REQUEST = "step", "request"
"""A ``Deadline``'s scope: one step's decision, or the whole request."""
STEP_TIMERS = "timer.sla.step."
REMIND = STEP_TIMERS + "remind"
"""Remind the approvers of a waiting step (payload ``step``, ``number``: the how-manyth reminder)."""
STEP_DUE = STEP_TIMERS + "due"
"""A step's ``decide_within`` has passed (payload ``step``)."""
REQUEST_DUE = "timer.sla.request.due"
"""The request's ``complete_within`` has passed."""
TIMER_KINDS = (REMIND, STEP_DUE, REQUEST_DUE)


def sla_of(catalog: Catalog, request: RequestRecord) -> ServiceLevel | None:
    """The service level of the request's action as the catalog says now (None: none, or the action is gone)."""
    action = catalog.actions.get(request.action_id)
    return None if action is None else action.sla


def clock_of(catalog: Catalog) -> Clock:
    return clock_for(catalog.settings.business_hours)


async def start_request(uow: UnitOfWork, catalog: Catalog, request: RequestRecord) -> None:
    """A request was submitted and waits: start its ``complete_within`` clock."""
    sla = sla_of(catalog, request)
    if sla is None or sla.complete_within is None or request.status != Status.PENDING:
        return
    now = uow.now()
    due = clock_of(catalog).add(now, sla.complete_within)
    await uow.service_levels.add(Deadline(request.id, REQUEST, None, due, now))
    uow.enqueue(REQUEST_DUE, request.id, {}, due_at=due)


async def start_step(uow: UnitOfWork, catalog: Catalog, request: RequestRecord, step: int) -> None:
    """``step`` starts waiting for its approvers: the earlier step's timers end, this one's start."""
    now = uow.now()
    sla = sla_of(catalog, request)
    # Without a service level there are no step timers to end (one left from a catalog that had a
    # service level finds its step decided when it fires, and does nothing).
    if step > 0 and sla is not None:
        await uow.jobs.cancel(request.id, STEP_TIMERS, now)
    if sla is None or (sla.decide_within is None and sla.remind_every is None):
        return
    clock = clock_of(catalog)
    due = None if sla.decide_within is None else clock.add(now, sla.decide_within)
    await uow.service_levels.add(Deadline(request.id, STEP, step, due, now))
    if due is not None:
        uow.enqueue(STEP_DUE, request.id, {"step": step}, due_at=due)
    if sla.remind_every is not None:
        uow.enqueue(REMIND, request.id, {"step": step, "number": 1}, due_at=clock.add(now, sla.remind_every))


@dataclass(frozen=True)
class Standing:
    """Where one of a request's clocks stands: ``left`` is the counted time until it is due
    (negative: how long overdue), ``breached`` whether its timer has fired."""

    scope: str
    step: int | None
    due_at: datetime
    left: timedelta
    breached: bool


def standings(catalog: Catalog, request: RequestRecord, deadlines: list[Deadline], now: datetime) -> list[Standing]:
    """The clocks of a pending request that still run: the request's and its current step's."""
    if request.status != Status.PENDING:
        return []
    clock = clock_of(catalog)
    return [Standing(d.scope, d.step, d.due_at, clock.between(now, d.due_at), d.breached_at is not None)
            for d in deadlines
            if d.request_id == request.id and d.due_at is not None
            and (d.scope == REQUEST or d.step == request.current_step)]
