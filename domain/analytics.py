"""Analytics over a period: every action's funnel, times, satisfaction and savings, the
rankings ``/selfserve stats`` shows, and the daily series the report charts.

Computed on demand from stored facts (``domain.analytics_facts``) in one read-only snapshot;
nothing is counted on the hot path.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from domain.analytics_facts import COMPLETED, AnalyticsStore, Facts, gather_facts
from domain.analytics_figures import ActionInfo, Figures, StepFigures, figures, percentile
from domain.catalog import Catalog

ALL_ACTIONS = "*"
MAX_DAYS = 366


@dataclass(frozen=True)
class Day:
    day: date
    completed: int
    p50: float | None
    """Median seconds to completion of the requests completed that day."""


@dataclass(frozen=True)
class Report:
    since: datetime
    until: datetime
    days: int
    total: Figures
    actions: tuple[Figures, ...]
    daily: tuple[Day, ...]

    def action(self, action_id: str) -> Figures | None:
        return next((a for a in self.actions if a.action_id == action_id), None)

    def busiest(self, n: int = 5) -> list[Figures]:
        return sorted((a for a in self.actions if a.submitted), key=lambda a: (-a.submitted, a.action_id))[:n]

    def worst_funnels(self, n: int = 3) -> list[Figures]:
        """Lowest share of opened forms that ended completed (forms that were opened only)."""
        return sorted((a for a in self.actions if a.opened), key=lambda a: (a.completed / a.opened, a.action_id))[:n]

    def slowest_steps(self, n: int = 3) -> list[tuple[Figures, StepFigures]]:
        steps = [(a, s) for a in self.actions for s in a.steps if s.time.p50 is not None]
        return sorted(steps, key=lambda pair: -(pair[1].time.p50 or 0))[:n]


def build_report(catalog: Catalog, facts: Facts, days: int) -> Report:
    """Figures per action (catalog order, then actions no longer in it) and for all of them."""
    minutes = {a.id: a.manual_minutes for a in catalog.actions.values() if a.manual_minutes is not None}
    seen = list(catalog.actions) + sorted({r.action_id for r in facts.requests} - set(catalog.actions))
    per_action = []
    for action_id in seen:
        action = catalog.actions.get(action_id)
        info = ActionInfo(action_id, action.title if action else action_id, _steps(action_id, catalog, facts),
                          action.manual_minutes if action else None, bool(action and action.sla))
        per_action.append(figures(info, _narrowed(facts, action_id), minutes))
    total = figures(ActionInfo(ALL_ACTIONS, "All actions", 0, None, False), facts, minutes)
    with_sla = [a for a in per_action if a.sla_requests]  # compliance over the actions that have a service level
    total = replace(total, sla_requests=sum(a.sla_requests for a in with_sla),
                    breached=sum(a.breached for a in with_sla))
    return Report(facts.since, facts.until, days, total, tuple(per_action), _daily(facts, days))


def _steps(action_id: str, catalog: Catalog, facts: Facts) -> int:
    action = catalog.actions.get(action_id)
    if action is not None:
        return len(action.approvals)
    return max((r.current_step for r in facts.requests if r.action_id == action_id and r.status in COMPLETED),
               default=0)


def _narrowed(facts: Facts, action_id: str) -> Facts:
    requests = [r for r in facts.requests if r.action_id == action_id]
    ids = {r.id for r in requests}
    return Facts(facts.since, facts.until, requests, [d for d in facts.decisions if d.request_id in ids],
                 [e for e in facts.forms if e.action_id == action_id],
                 [f for f in facts.feedback if f.action_id == action_id],
                 {kind: found & ids for kind, found in facts.flagged.items()},
                 {rid: at for rid, at in facts.fulfilled_at.items() if rid in ids})


def _daily(facts: Facts, days: int) -> tuple[Day, ...]:
    """Per day of the period (UTC), the requests completed and their median time to completion."""
    durations: dict[date, list[float]] = {}
    for r in facts.requests:
        if (end := facts.completed_at(r)) is not None:
            durations.setdefault(end.date(), []).append((end - r.created_at).total_seconds())
    first = facts.until.date() - timedelta(days=days - 1)
    return tuple(Day(day, len(durations.get(day, [])), percentile(durations.get(day, []), 50))
                 for day in (first + timedelta(days=n) for n in range(days)))


class AnalyticsUnit(Protocol):
    @property
    def analytics(self) -> AnalyticsStore: ...


Readers = Callable[[], AbstractAsyncContextManager[AnalyticsUnit]]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Analytics:
    def __init__(self, catalog: Callable[[], Catalog], reader: Readers,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._catalog = catalog
        self._reader = reader
        self._clock = clock

    async def report(self, days: int = 30) -> Report:
        """The last ``days`` days (1 to ``MAX_DAYS``), up to now."""
        days = min(max(days, 1), MAX_DAYS)
        until = self._clock()
        async with self._reader() as uow:
            facts = await gather_facts(uow.analytics, until - timedelta(days=days), until)
        return build_report(self._catalog(), facts, days)
