"""One action's figures (or all actions' together) computed from a period's facts.

Percentiles are nearest-rank (the smallest value with at least p % of the values at or below
it): every figure is a duration that really occurred, and a test can work it out by hand.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.analytics_facts import ESCALATED, FULFILLED, SLA_BREACHED, DecisionFact, Facts, RequestFact
from domain.routing import AUTO_APPROVER

APPROVED = frozenset({"approved", "expired", "failed"})
IDLE_AFTER = timedelta(days=1)
"""A form opened and neither sent nor closed for this long counts as abandoned."""
COMMENTS_KEPT = 5


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank ``p``-th percentile of ``values`` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)), 1) - 1]


@dataclass(frozen=True)
class Spread:
    """Durations in seconds: how many, their median and 90th percentile."""

    count: int
    p50: float | None
    p90: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(len(values), percentile(values, 50), percentile(values, 90))


@dataclass(frozen=True)
class StepFigures:
    """Drop-off at one approval step: who got there, and how it ended there."""

    step: int
    reached: int
    approved: int
    rejected: int
    cancelled: int
    waiting: int
    time: Spread
    """From the step's start (the request, or the previous step's completion) to its decision."""


@dataclass(frozen=True)
class Figures:
    action_id: str
    title: str
    opened: int
    closed_unsent: int
    idle_unsent: int
    submitted: int
    approved: int
    rejected: int
    cancelled: int
    pending: int
    fulfilled: int
    completed: int
    steps: tuple[StepFigures, ...]
    failed_fields: tuple[tuple[str, int], ...]
    first_decision: Spread
    completion: Spread
    escalated: int
    breached: int
    sla_requests: int
    """Requests of actions with a service level (``sla`` in the catalog)."""
    up: int
    down: int
    comments: tuple[str, ...]
    people: int
    manual_minutes: int | None
    hours_saved: float | None
    """``manual_minutes`` of each completed request, in hours (None: no action says its minutes)."""
    completed_escalated: int

    @property
    def abandoned(self) -> int:
        return self.closed_unsent + self.idle_unsent

    @property
    def satisfaction(self) -> float | None:
        """Share of 👍 among the answers."""
        return self.up / (self.up + self.down) if self.up + self.down else None

    @property
    def escalation_rate(self) -> float | None:
        return self.escalated / self.submitted if self.submitted else None

    @property
    def sla_compliance(self) -> float | None:
        """Share of requests with a service level that did not breach it."""
        return (self.sla_requests - self.breached) / self.sla_requests if self.sla_requests else None

    @property
    def utilization(self) -> float | None:
        """Share of requests completed without a human escalation."""
        return (self.completed - self.completed_escalated) / self.submitted if self.submitted else None


@dataclass(frozen=True)
class ActionInfo:
    """What the catalog says of an action (or of all of them: ``steps`` 0, summed minutes)."""

    action_id: str
    title: str
    steps: int
    manual_minutes: int | None
    has_sla: bool


def figures(info: ActionInfo, facts: Facts, minutes_of: Mapping[str, int]) -> Figures:
    """``info``'s figures from ``facts`` (already narrowed to the action, or all of them);
    ``minutes_of``: the catalog's ``manual_minutes`` by action."""
    requests = facts.requests
    statuses = Counter(r.status for r in requests)
    completed = [r for r in requests if facts.completed_at(r) is not None]  # steps still running: not yet
    escalated = facts.flagged.get(ESCALATED, set())
    by_request = _decisions_by_request(facts.decisions)
    ends = _step_ends(by_request) if info.steps else {}
    opened = {e.view_id: e.at for e in facts.forms if e.kind == "opened" and e.view_id}
    closed = {e.view_id for e in facts.forms if e.kind == "closed"}
    sent = {r.view_id for r in requests}
    unsent = [view for view in opened if view not in sent]
    ratings = Counter(f.rating for f in facts.feedback)
    saved = [minutes_of[r.action_id] for r in completed if r.action_id in minutes_of]
    counted = any(r.action_id in minutes_of for r in requests) or info.manual_minutes is not None
    return Figures(
        action_id=info.action_id, title=info.title,
        opened=len(opened), closed_unsent=sum(1 for v in unsent if v in closed),
        idle_unsent=sum(1 for v in unsent if v not in closed and opened[v] <= facts.until - IDLE_AFTER),
        submitted=len(requests), approved=sum(statuses[status] for status in APPROVED),
        rejected=statuses["rejected"], cancelled=statuses["cancelled"], pending=statuses["pending"],
        fulfilled=sum(1 for r in requests if r.id in facts.flagged.get(FULFILLED, set()) or r.status == "expired"),
        completed=len(completed),
        steps=tuple(_step(k, requests, ends) for k in range(info.steps)) if info.steps else (),
        failed_fields=tuple(Counter(f for e in facts.forms if e.kind == "invalid" for f in e.fields).most_common()),
        first_decision=Spread.of([s for r in requests if (s := _first_decision(r, by_request)) is not None]),
        completion=Spread.of([(end - r.created_at).total_seconds() for r in completed
                              if (end := facts.completed_at(r)) is not None]),
        escalated=sum(1 for r in requests if r.id in escalated),
        breached=sum(1 for r in requests if r.id in facts.flagged.get(SLA_BREACHED, set())),
        sla_requests=len(requests) if info.has_sla else 0, up=ratings["up"], down=ratings["down"],
        comments=tuple(f.comment for f in sorted(facts.feedback, key=lambda f: f.created_at, reverse=True)
                       if f.comment)[:COMMENTS_KEPT],
        people=len({r.requester_id for r in requests}),
        manual_minutes=info.manual_minutes, hours_saved=sum(saved) / 60 if counted else None,
        completed_escalated=sum(1 for r in completed if r.id in escalated),
    )


def _decisions_by_request(decisions: Sequence[DecisionFact]) -> dict[int, list[DecisionFact]]:
    grouped: dict[int, list[DecisionFact]] = {}
    for decision in decisions:
        if decision.verdict in ("approve", "reject"):
            grouped.setdefault(decision.request_id, []).append(decision)
    return grouped


def _first_decision(request: RequestFact, by_request: dict[int, list[DecisionFact]]) -> float | None:
    """Seconds from the request to the first verdict a person gave on it (auto-approvals aside)."""
    times = [d.created_at for d in by_request.get(request.id, ()) if d.approver_id != AUTO_APPROVER]
    return (min(times) - request.created_at).total_seconds() if times else None


def _step(step: int, requests: Sequence[RequestFact], ended: dict[int, dict[int, datetime]]) -> StepFigures:
    here = [r for r in requests if r.current_step == step]
    durations = [s for r in requests if r.current_step >= step and (s := _step_seconds(r, step, ended)) is not None]
    return StepFigures(step, reached=sum(1 for r in requests if r.current_step >= step),
                       approved=sum(1 for r in requests if r.current_step > step),
                       rejected=sum(1 for r in here if r.status == "rejected"),
                       cancelled=sum(1 for r in here if r.status == "cancelled"),
                       waiting=sum(1 for r in here if r.status == "pending"), time=Spread.of(durations))


def _step_ends(by_request: dict[int, list[DecisionFact]]) -> dict[int, dict[int, datetime]]:
    """Per request, per step, when its last verdict was given (computed once for every step)."""
    ends: dict[int, dict[int, datetime]] = {}
    for request_id, decisions in by_request.items():
        ended = ends[request_id] = {}
        for decision in decisions:
            ended[decision.step] = max(ended.get(decision.step, decision.created_at), decision.created_at)
    return ends


def _step_seconds(request: RequestFact, step: int, ends: dict[int, dict[int, datetime]]) -> float | None:
    """How long ``step`` took: from its start to the verdict that completed it (None: not decided)."""
    ended = ends.get(request.id)
    if not ended or step not in ended or (step >= request.current_step and request.status != "rejected"):
        return None
    started = request.created_at if step == 0 else ended.get(step - 1)
    return None if started is None else (ended[step] - started).total_seconds()
