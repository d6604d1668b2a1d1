"""Following requests: where one stands, what a person asked for, and what waits on them.

A request may be seen by its requester, by everyone who may decide any of its steps (as the
catalog stands now), decided one, handed one over or was handed one (``domain.delegation``), and
by holders of the catalog's admin role. Asking about a
request one may not see is refused exactly like asking about an id that does not exist, so ids
cannot be probed; the audit log keeps which of the two it was.

Each answer is audited after it has gone out (``defer``), like the other commands' answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.approvals import delegates, eligible_approvers
from domain.catalog import Action, Catalog
from domain.desk import Defer
from domain.errors import DomainError
from domain.escalation_records import EscalationRecord
from domain.fulfilment_records import DONE, PlanRecord, StepRecord
from domain.lifecycle import Status, Verdict
from domain.ports import AuditSink, UnitOfWork, UnitOfWorkFactory
from domain.rbac import requestable_actions
from domain.records import AuditEntry, DecisionRecord, RequestRecord, parse_request_ref
from domain.refusals import refusal_entry
from domain.routing import step_members
from domain.service_levels import Standing, standings

LIST_LIMIT = 20
"""Requests one list shows at most (`mine`, `pending`, `status` without an id)."""
HOME_LIMIT = 15
"""Open requests, and approvals waiting, that the Home tab shows at most (its view holds 100 blocks)."""
IN_PROGRESS_LIMIT = 5
"""Approved requests being carried out that the Home tab shows, the latest first."""
HOME_ESCALATIONS = 10
"""Open escalations a support person's Home tab shows at most (``/selfserve queue`` lists more)."""
OpenEscalations = Callable[[str, int], Awaitable[list[EscalationRecord]]]


@dataclass
class RequestNotVisible(DomainError):
    """No such request, or the asker may not see it; ``reason`` (which of the two) is audited, never shown."""

    ref: str
    reason: str = "unknown_request"
    code = "request_not_visible"


@dataclass(frozen=True)
class RequestStatus:
    """One request in full: its decisions, and who may still decide its current step."""

    request: RequestRecord
    decisions: list[DecisionRecord]
    waiting_on: tuple[str, ...]
    service_levels: list[Standing] = field(default_factory=list)
    """Its clocks that still run (``domain.service_levels``)."""
    fulfilment: list[StepRecord] = field(default_factory=list)
    """Every fulfilment step, phase by phase, each with its attempts and its last attempt's detail."""
    plan: PlanRecord | None = None
    """Its fulfilment plan and access window (None: its action carries nothing out)."""


@dataclass(frozen=True)
class Home:
    """What a person's Home tab shows: what they may request, their open requests, the
    requests waiting on their decision (each at its current step) and, for support staff, the
    open escalations."""

    actions: list[Action]
    open_requests: list[RequestRecord]
    waiting: list[RequestRecord]
    service_levels: dict[int, list[Standing]] = field(default_factory=dict)
    """The running clocks of those requests, by request id."""
    in_progress: list[RequestRecord] = field(default_factory=list)
    """The person's approved requests still being carried out, or whose fulfilment failed."""
    steps: dict[int, list[StepRecord]] = field(default_factory=dict)
    """The fulfilment steps of ``in_progress``, by request id."""
    escalations: list[EscalationRecord] = field(default_factory=list)
    proofs: tuple[str | None, ...] = ()
    """How each of ``actions`` usually goes (``domain.social_proof``), when known."""


def roles_of(catalog: Catalog, user_id: str) -> list[str]:
    """The roles ``user_id`` holds now."""
    return [name for name in catalog.roles if user_id in catalog.members_of(name)]


def may_see(catalog: Catalog, request: RequestRecord, decisions: Sequence[DecisionRecord], user_id: str) -> bool:
    """The requester, anyone who may decide one of its steps, decided or handed one over or was
    handed one, and the admin role."""
    return (user_id == request.requester_id
            or user_id in catalog.members_of(catalog.settings.admins)
            or any(user_id == d.approver_id or (d.verdict == Verdict.DELEGATE and user_id == d.reason)
                   for d in decisions)
            or any(user_id in step_members(catalog, step) for step in request.steps))


def current_deciders(catalog: Catalog, request: RequestRecord) -> list[str]:
    """Everyone who may decide the request's current step by the catalog (its roles' holders and
    named approvers; none once it is closed). ``waiting_on`` adds hand-overs and decisions."""
    if request.status != Status.PENDING or request.current_step >= len(request.steps):
        return []
    return eligible_approvers(request, step_members(catalog, request.steps[request.current_step]))


def step_audience(catalog: Catalog, request: RequestRecord, step: int,
                  decisions: Sequence[DecisionRecord]) -> frozenset[str]:
    """Everyone ``step`` was ever up to: its roles' holders and named approvers, and those it was
    handed to (whose lists of what waits on them change with it)."""
    return step_members(catalog, request.steps[step]) | delegates(decisions, step)


def waiting_on(catalog: Catalog, request: RequestRecord, decisions: Sequence[DecisionRecord]) -> tuple[str, ...]:
    """Who may still decide the current step: those who may decide it (handed it included) and
    have neither decided it nor handed it on."""
    if request.status != Status.PENDING or request.current_step >= len(request.steps):
        return ()
    step = request.current_step
    spoke = {d.approver_id for d in decisions if d.step == step}
    allowed = eligible_approvers(request, step_audience(catalog, request, step, decisions))
    return tuple(user for user in allowed if user not in spoke)


class Tracker:
    def __init__(self, catalog: Callable[[], Catalog], reader: UnitOfWorkFactory, writer: UnitOfWorkFactory,
                 audit: AuditSink, defer: Defer, *,
                 refresh_groups: Callable[[Iterable[str]], Awaitable[None]] | None = None,
                 escalations: OpenEscalations | None = None,
                 proof: Callable[[str], str | None] | None = None) -> None:
        """``reader`` opens read-only units of work, ``writer`` others; ``audit`` appends one event, ``defer`` runs
        that append after the answer has gone out; ``refresh_groups`` brings the Slack user groups
        of roles up to date (the admin role's, before it decides who may see a request);
        ``escalations`` lists the open escalations a person's Home shows (none for most); ``proof``
        says how an action usually goes (the Home catalog shows it)."""
        self._catalog = catalog
        self._reader = reader
        self._writer = writer
        self._audit = audit
        self._defer = defer
        self._refresh_groups = refresh_groups
        self._escalations = escalations
        self._proof = proof

    def _done(self, actor: str, details: dict[str, Any], ref: str | None = None) -> None:
        self._defer(self._audit(AuditEntry("command", "ok", actor, ref, details)))

    async def status(self, actor: str, ref: str, details: dict[str, Any]) -> RequestStatus:
        """Request ``ref`` if ``actor`` may see it; ``RequestNotVisible`` (audited) otherwise."""
        request_id = parse_request_ref(ref)
        if self._refresh_groups is not None:
            await self._refresh_groups([self._catalog().settings.admins])
        async with self._reader() as uow:
            request = None if request_id is None else await uow.requests.get(request_id)
            decisions = [] if request is None else await uow.requests.decisions(request.id)
            deadlines = [] if request is None else await uow.service_levels.of_requests([request.id])
            steps = [] if request is None else await uow.fulfilment.steps(request.id)
            plan = None if request is None or not steps else await uow.fulfilment.plan(request.id)
            now = uow.now()
        catalog = self._catalog()
        if request is None or not may_see(catalog, request, decisions, actor):
            refusal = RequestNotVisible(ref[:64], "unknown_request" if request is None else "not_a_viewer")
            self._defer(self._audit(refusal_entry(actor, "command", refusal, {**details, "request": ref[:64]})))
            raise refusal
        self._done(actor, details, request.ref)
        return RequestStatus(request, decisions, waiting_on(catalog, request, decisions),
                             standings(catalog, request, deadlines, now), steps, plan)

    async def open_requests(self, actor: str, details: dict[str, Any]) -> list[RequestRecord]:
        """``actor``'s pending requests, newest first."""
        async with self._reader() as uow:
            found = await uow.requests.by_requester(actor, LIST_LIMIT, open_only=True)
        self._done(actor, details)
        return found

    async def mine(self, actor: str, details: dict[str, Any]) -> list[RequestRecord]:
        """``actor``'s latest requests in any state, newest first."""
        async with self._reader() as uow:
            found = await uow.requests.by_requester(actor, LIST_LIMIT)
        self._done(actor, details)
        return found

    async def pending(self, actor: str, details: dict[str, Any]) -> list[RequestRecord]:
        """Requests waiting on ``actor``'s decision at their current step, newest first."""
        async with self._reader() as uow:
            found = await self._waiting(uow, actor, LIST_LIMIT)
        self._done(actor, details)
        return found

    async def open_home(self, user_id: str) -> Home:
        """``user_id`` opened their Home tab: from now on it is published again when something of
        theirs changes (``domain.surfaces.HOME_WATCH``). Recorded before the Home is read, so a
        change committed after that read finds them watching and publishes it again."""
        async with self._writer() as uow:
            await uow.home_viewers.opened(user_id, uow.now())
        return await self.home(user_id)

    async def home(self, user_id: str) -> Home:
        """What ``user_id``'s Home tab shows now."""
        async with self._reader() as uow:
            mine = await uow.requests.by_requester(user_id, HOME_LIMIT, open_only=True)
            waiting = await self._waiting(uow, user_id, HOME_LIMIT)
            shown = {request.id: request for request in [*mine, *waiting]}
            deadlines = await uow.service_levels.of_requests(sorted(shown)) if shown else []
            in_progress, steps = await _in_progress(uow, user_id)
            now = uow.now()
        catalog = self._catalog()
        levels = {key: found for key, request in shown.items()
                  if (found := standings(catalog, request, deadlines, now))}
        escalations = await self._escalations(user_id, HOME_ESCALATIONS) if self._escalations else []
        actions = requestable_actions(catalog, user_id)
        proofs = tuple(self._proof(a.id) for a in actions) if self._proof else ()
        return Home(actions, mine, waiting, levels, in_progress, steps, escalations, proofs)

    async def _waiting(self, uow: UnitOfWork, user_id: str, limit: int) -> list[RequestRecord]:
        catalog = self._catalog()
        found = await uow.requests.waiting_on(user_id, roles_of(catalog, user_id), limit)
        # the store narrows down; who may decide by role is the catalog's word as it is now
        by_role = [request for request in found if user_id in current_deciders(catalog, request)]
        handed = await uow.requests.handed_to(user_id, limit)
        merged = {request.id: request for request in [*by_role, *handed]}
        return sorted(merged.values(), key=lambda request: -request.id)[:limit]


async def _in_progress(uow: UnitOfWork, user_id: str) -> tuple[list[RequestRecord], dict[int, list[StepRecord]]]:
    """``user_id``'s latest approved requests with a step not done yet (failed ones included), and their steps."""
    latest = [r for r in await uow.requests.by_requester(user_id, HOME_LIMIT)
              if r.status in (Status.APPROVED, Status.FAILED)]
    steps = await uow.fulfilment.steps_of([r.id for r in latest]) if latest else {}
    going = [r for r in latest if any(step.status != DONE for step in steps.get(r.id, ()))]
    going = going[:IN_PROGRESS_LIMIT]
    return going, {r.id: steps[r.id] for r in going}
