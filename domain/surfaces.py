"""Keeping what people see of a request in step with it, queued in the change's own transaction.

* The requester's receipt is redrawn whenever the request's state changes (a step completed, the
  request finished or was cancelled): its state line, and its Cancel button only while pending.
* When a request finishes, the approver DMs of its earlier steps are redrawn too, so that no
  DM about it shows an outdated picture; a cancellation redraws every approver DM of it.
* The Home tab of everyone a change concerns is published again: the requester, whoever decided,
  and those whose list of approvals waiting on them gained or lost the request, if they opened
  their Home tab within ``HOME_WATCH`` (Slack sends ``app_home_opened`` each time someone opens
  it, and it is published then; most people never look at it, and publishing theirs on every
  change would be most of a click's work, all of it unseen). One
  ``home.refresh`` job per person and change, due shortly after the end of the current second
  (``HOME_REFRESH_BATCH`` + ``HOME_REFRESH_SETTLE``), so that the jobs of a busy second come due
  together and the Slack side publishes each person's Home once for all of them
  (``bot.home_tab``).

Every job names only *whom* to update; the picture is rendered from the state at delivery time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from domain import notifications
from domain.catalog import Catalog
from domain.lifecycle import Status
from domain.ports import UnitOfWork
from domain.records import DecisionRecord, RequestRecord
from domain.tracking import step_audience, waiting_on

HOME_REFRESH = "home.refresh"
"""Publish one person's Home tab again (payload ``{"user": id}``, and ``"settled": true`` when the
job's due time is ``HOME_REFRESH_SETTLE`` after the end of its change's batch: any read of that
Home that starts at or after the due time shows the change, so the job may be skipped then)."""
HOME_REFRESH_BATCH = timedelta(seconds=1)
"""Home refreshes of changes within one such period come due together (0: each at once)."""
HOME_REFRESH_SETTLE = timedelta(milliseconds=500)
"""... this long after the period ends, by which its changes' transactions have committed (a
change is enqueued at the end of its transaction) and the processes' clocks agree."""


HOME_WATCH = timedelta(days=1)
"""Whose Home is kept up to date: theirs who opened it at most this long ago. Whoever opens it
later gets it fresh then; one who has left it open for longer sees it as it was until they
open it again (and a button on it that is out of date is answered with the present state)."""


async def refresh_homes(uow: UnitOfWork, request: RequestRecord, users: Iterable[str]) -> None:
    """One ``home.refresh`` job per person who watches their Home, each person once."""
    now = uow.now()
    watching = await uow.home_viewers.watching(sorted(set(users)), now - HOME_WATCH)
    period = HOME_REFRESH_BATCH.total_seconds()
    due, settled = now, {}
    if period > 0:
        batch_end = datetime.fromtimestamp((math.floor(now.timestamp() / period) + 1) * period, tz=now.tzinfo)
        due, settled = batch_end + HOME_REFRESH_SETTLE, {"settled": True}
    for user in sorted(watching):
        uow.enqueue(HOME_REFRESH, request.id, {"user": user, **settled}, due_at=due)


async def after_submit(uow: UnitOfWork, catalog: Catalog, request: RequestRecord) -> None:
    """A new request: its requester's Home, and the Homes of those now asked to decide (stand-ins
    of people away included)."""
    decisions = await uow.requests.decisions(request.id) if request.status == Status.PENDING else []
    await refresh_homes(uow, request, [request.requester_id, *waiting_on(catalog, request, decisions)])


async def after_decision(uow: UnitOfWork, catalog: Catalog, request: RequestRecord, decision: DecisionRecord,
                         step_completed: bool) -> None:
    """A verdict on ``decision.step``; ``request`` as the decision left it."""
    users = {request.requester_id, decision.approver_id}
    if step_completed:
        uow.enqueue(notifications.RECEIPT_REFRESH, request.id, {})
        decisions = await uow.requests.decisions(request.id)
        users |= step_audience(catalog, request, decision.step, decisions)  # it no longer waits on them
        users.update(waiting_on(catalog, request, decisions))  # ... but on the next step's deciders
        if request.status != Status.PENDING:
            for step in range(_last_step(request)):
                if step != decision.step:  # the service redraws the decided step's DMs itself
                    uow.enqueue(notifications.APPROVER_REFRESH, request.id, notifications.approver_refresh(step))
    await refresh_homes(uow, request, users)


async def after_handover(uow: UnitOfWork, request: RequestRecord, by: str, to: str) -> None:
    """``by`` handed the current step to ``to``: it waits on the one, no longer on the other."""
    await refresh_homes(uow, request, [by, to])


async def after_cancel(uow: UnitOfWork, catalog: Catalog, request: RequestRecord,
                       waited_on: Iterable[str]) -> None:
    """The requester cancelled ``request``; ``waited_on``: who could decide its step until then."""
    uow.enqueue(notifications.RECEIPT_REFRESH, request.id, {})
    for step in range(_last_step(request) + 1):
        uow.enqueue(notifications.APPROVER_REFRESH, request.id, notifications.approver_refresh(step))
    await refresh_homes(uow, request, [request.requester_id, *waited_on])


def _last_step(request: RequestRecord) -> int:
    """The last step the request reached (an approved request's current step is past its end)."""
    return min(request.current_step, len(request.steps) - 1)
