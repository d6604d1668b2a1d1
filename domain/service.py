"""The request lifecycle as the bot sees it: submit, decide, audit. No Slack in here.

Every method that changes state does so in one unit of work together with the outbox jobs
and audit entries it causes. A refusal rolls that back and is then audited on its own, so
an unauthorised or late click leaves a trace and changes nothing else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from domain import escalations, feedback, fulfilment, notifications, service_levels, surfaces
from domain.approvals import Progress, authorize_decision, eligible_approvers, progress_after
from domain.catalog import Action, Catalog, Field
from domain.delegation import stand_ins
from domain.errors import DomainError
from domain.forms import FieldErrors, Raw, validate_submission
from domain.fulfilment_records import PlanRecord, StepRecord
from domain.jobs import TIMER_PREFIX
from domain.lifecycle import Status, Verdict
from domain.ports import AuditSink, DuplicateSubmission, UnitOfWork, UnitOfWorkFactory
from domain.rbac import resolve_action
from domain.records import (
    Answer,
    AuditEntry,
    DecisionRecord,
    MessageRecord,
    NewRequest,
    RequestRecord,
)
from domain.refusals import refusal_entry
from domain.routing import (
    AUTO_APPROVER,
    auto_approval,
    load_request,
    members_for,
    request_steps,
    roles_checked,
    step_members,
)

STUCK_REASON = "nobody may decide a step"


@dataclass(frozen=True)
class Submitted:
    request: RequestRecord
    duplicate: bool


@dataclass(frozen=True)
class RequestView:
    """A request as its notifications render it: state, verdicts and the messages posted about it."""

    request: RequestRecord
    decisions: list[DecisionRecord]
    messages: list[MessageRecord]
    steps: list[StepRecord] = dataclass_field(default_factory=list)
    """Its fulfilment steps, and ``plan`` its fulfilment (with the access window), if it has one;
    neither is read while the request waits (nothing of them is shown before approval)."""
    plan: PlanRecord | None = None


@dataclass(frozen=True)
class Decided:
    request: RequestRecord
    progress: Progress


class RequestService:
    def __init__(self, catalog: Callable[[], Catalog], unit_of_work: UnitOfWorkFactory,
                 reader: UnitOfWorkFactory, audit: AuditSink, *,
                 refresh_groups: Callable[[Iterable[str]], Awaitable[None]] | None = None) -> None:
        """``unit_of_work`` opens read-write transactions, ``reader`` read-only ones, and
        ``audit`` appends a stand-alone event (group-committed by storage). ``refresh_groups``
        brings the Slack user groups of the given roles up to date (before, not inside, a
        transaction: it may ask Slack)."""
        self._catalog = catalog
        self._uow = unit_of_work
        self._reader = reader
        self._audit = audit
        self._refresh_groups = refresh_groups

    @property
    def catalog(self) -> Catalog:
        return self._catalog()

    async def audit(self, entry: AuditEntry) -> None:
        """Append one event that changes nothing else; returns once it is committed (it shares
        the transaction with other such events written at the same moment)."""
        await self._audit(entry)

    async def resolve(self, actor: str, action_name: str, *, kind: str) -> Action:
        """The action ``actor`` asked for, or an audited refusal."""
        try:
            return resolve_action(self.catalog, actor, action_name)
        except DomainError as refusal:
            await self.audit(refusal_entry(actor, kind, refusal, {"action": action_name[:100]}))
            raise

    async def submit(
        self, actor: str, action_name: str, raw: Mapping[str, Raw], source_view_id: str | None
    ) -> Submitted:
        """Validate and store a request, route it, and queue the DMs, in one transaction.

        Replaying a submission of the same modal returns the request it already created.
        """
        if self._refresh_groups is not None and action_name in self.catalog.actions:
            await self._refresh_groups(roles_checked(self.catalog.actions[action_name]))
        action = await self.resolve(actor, action_name, kind="form_submitted")
        try:
            values = validate_submission(action, raw)
        except FieldErrors as errors:
            await self.audit(AuditEntry("form_submitted", "invalid", actor, None,
                                        {"action": action.id, "errors": errors.errors}))
            raise
        try:
            return await self._store(actor, action, values, source_view_id, replayed=False)
        except DuplicateSubmission:
            # A replay of the same view (Slack retried, or a double submit): answer with its request.
            return await self._store(actor, action, values, source_view_id, replayed=True)

    async def _store(
        self, actor: str, action: Action, values: Mapping[str, object], source_view_id: str | None, *,
        replayed: bool,
    ) -> Submitted:
        """The first attempt inserts straight away (the unique view id catches a replay); only
        after that fails is the earlier request looked up."""
        async with self._uow() as uow:
            existing = await uow.requests.find_by_view(source_view_id) if replayed and source_view_id else None
            if existing is not None:
                uow.audit(AuditEntry("form_submitted", "duplicate", actor, existing.ref, {"view": source_view_id}))
                return Submitted(existing, True)
            status = Status.PENDING if action.approvals else Status.APPROVED
            new_request = self._new_request(actor, action, values, source_view_id)
            request = await uow.requests.add(new_request, status, uow.now())
            await fulfilment.remember_plan(uow, request, action)
            uow.audit(AuditEntry("request_created", "ok", actor, request.ref,
                                 {"action": action.id, "status": status, "values": dict(values)}))
            uow.enqueue(notifications.REQUESTER_RECEIPT, request.id, {})
            if request.steps:
                request = await self._enter_step(uow, request, 0)
            else:
                uow.audit(AuditEntry("request_approved", "ok", None, request.ref, {"reason": "no_approval_needed"}))
                self._ask_feedback(uow, request)
                await fulfilment.on_approved(uow, request)
            await service_levels.start_request(uow, self.catalog, request)
            await surfaces.after_submit(uow, self.catalog, request)
            return Submitted(request, False)

    def _new_request(
        self, actor: str, action: Action, values: Mapping[str, object], source_view_id: str | None
    ) -> NewRequest:
        return NewRequest(
            action_id=action.id,
            action_title=action.title,
            requester_id=actor,
            steps=request_steps(action, values),
            allow_self_approval=action.allow_self_approval,
            answers=tuple(_answer(field, values.get(field.id)) for field in action.fields
                          if field.show_if is None or values.get(field.id) is not None),
            catalog_fingerprint=self.catalog.fingerprint,
            source_view_id=source_view_id,
        )

    async def _enter_step(self, uow: UnitOfWork, request: RequestRecord, step: int) -> RequestRecord:
        """Move ``request`` to ``step``: steps whose ``auto_approve`` rule holds are approved on the
        spot (a decision by ``AUTO_APPROVER`` with the rule as its reason), then the first other
        step is routed; past the last step the request is approved. Returns it as stored."""
        while step < len(request.steps):
            rule = auto_approval(self.catalog, request, step)
            if rule is None:
                await self._route_step(uow, request, step)
                return request
            await uow.requests.add_decision(DecisionRecord(request.id, step, AUTO_APPROVER, Verdict.APPROVE,
                                                           rule, uow.now()))
            uow.audit(AuditEntry("step_auto_approved", "ok", None, request.ref, {"step": step, "rule": rule}))
            step += 1
            status = Status.APPROVED if step == len(request.steps) else Status.PENDING
            request = await uow.requests.set_progress(request, status, step, uow.now())
        uow.audit(AuditEntry("request_approved", "ok", None, request.ref, {"reason": "auto_approved"}))
        await uow.jobs.cancel(request.id, TIMER_PREFIX, uow.now())
        self._ask_feedback(uow, request)
        await fulfilment.on_approved(uow, request)
        return request

    async def _route_step(self, uow: UnitOfWork, request: RequestRecord, step: int) -> None:
        """Ask everyone who may decide ``step``; a step too few may approve is audited as
        ``stuck`` and the requester is told."""
        role = request.steps[step].role
        approvers = eligible_approvers(request, step_members(self.catalog, request.steps[step]))
        absent = await stand_ins(uow, self.catalog, approvers)
        for person, stand_in in absent.items():  # asked instead, and recorded as a hand-over
            await uow.requests.add_decision(DecisionRecord(request.id, step, person, Verdict.DELEGATE, stand_in,
                                                           uow.now()))
            uow.audit(AuditEntry("delegated", "ok", None, request.ref,
                                 {"step": step, "from": person, "to": stand_in, "because": "away"}))
        approvers = eligible_approvers(request, frozenset(absent.get(person, person) for person in approvers))
        for approver in approvers:
            uow.enqueue(notifications.APPROVER_ASK, request.id, notifications.approver_ask(step, approver))
        await service_levels.start_step(uow, self.catalog, request, step)
        outcome = "ok" if len(approvers) >= request.steps[step].min_approvals else "stuck"
        uow.audit(AuditEntry("request_routed", outcome, None, request.ref,
                             {"step": step, "role": role, "approvers": approvers}))
        if outcome == "stuck":  # too few may approve; without a word the request would wait in silence
            uow.enqueue(notifications.REQUESTER_STUCK, request.id,
                        notifications.requester_stuck(step, len(approvers)))
            await escalations.escalate(uow, self.catalog, request, by=None, reason=STUCK_REASON)

    async def view(self, request_id: int) -> RequestView | None:
        """What the request's notifications are rendered from, read now; None if it is gone."""
        async with self._reader() as uow:
            request = await uow.requests.get(request_id)
            if request is None:
                return None
            decisions = await uow.requests.decisions(request.id)
            messages = await uow.requests.messages(request.id)
            if request.status == Status.PENDING:  # its steps are written, and access granted, once approved:
                return RequestView(request, decisions, messages, [], None)  # nothing of either to show yet
            steps = await uow.fulfilment.steps(request.id)
            return RequestView(request, decisions, messages, steps, await uow.fulfilment.plan(request.id))

    async def check_decidable(self, actor: str, ref: str, step: int) -> RequestRecord:
        """Whether ``actor`` could decide now (before asking for a rejection reason)."""
        try:
            async with self._reader() as uow:
                request = await load_request(uow, ref, lock=False)
                decisions = await uow.requests.decisions(request.id)
                authorize_decision(request, step, actor, self._members(request, step), decisions)
                return request
        except DomainError as refusal:
            await self.audit(refusal_entry(actor, "decision", refusal, {"request": ref[:64], "step": step}))
            raise

    async def rejection_started(self, actor: str, request: RequestRecord, step: int) -> None:
        """The rejection-reason form is open: audited, so an abandoned rejection leaves a trace."""
        await self.audit(AuditEntry("reject_started", "ok", actor, request.ref, {"step": step}))

    async def decide(self, actor: str, ref: str, step: int, verdict: Verdict, reason: str | None = None) -> Decided:
        """Record ``actor``'s verdict and move the request on, atomically.

        The request row is locked for the whole transaction, so when two approvers click at
        once the second sees the first one's outcome and is refused with who decided.
        """
        if self._refresh_groups is not None:  # who may decide, whom the next step asks, and its auto rule
            await self._refresh_groups({role for action in self.catalog.actions.values()
                                        for role in roles_checked(action)})
        try:
            async with self._uow() as uow:
                request = await load_request(uow, ref, lock=True)
                decisions = await uow.requests.decisions(request.id)
                authorize_decision(request, step, actor, self._members(request, step), decisions)
                decision = DecisionRecord(request.id, step, actor, verdict, reason, uow.now())
                await uow.requests.add_decision(decision)
                progress = progress_after(request, [*decisions, decision])
                updated = await uow.requests.set_progress(request, progress.status, progress.current_step, uow.now())
                uow.audit(AuditEntry("decision", "ok", actor, request.ref,
                                     {"step": step, "verdict": verdict, "reason": reason}))
                updated = await self._after_decision(uow, updated, decision, progress)
                await surfaces.after_decision(uow, self.catalog, updated, decision, progress.step_completed)
                if progress.step_completed:
                    await escalations.request_changed(uow, updated)
                return Decided(updated, progress)
        except DomainError as refusal:
            details = {"request": ref[:64], "step": step, "verdict": verdict}
            await self.audit(refusal_entry(actor, "decision", refusal, details))
            raise

    async def _after_decision(
        self, uow: UnitOfWork, request: RequestRecord, decision: DecisionRecord, progress: Progress
    ) -> RequestRecord:
        """The jobs and audit events a decision causes; ``request`` as the decision left it, returned
        as it stands afterwards (later steps may approve themselves)."""
        uow.enqueue(notifications.APPROVER_REFRESH, request.id, notifications.approver_refresh(decision.step))
        if not progress.step_completed:
            return request
        uow.enqueue(notifications.REQUESTER_UPDATE, request.id,
                    notifications.requester_update(decision.step, decision.verdict, decision.approver_id))
        if progress.status == Status.PENDING:
            return await self._enter_step(uow, request, progress.current_step)
        uow.audit(AuditEntry(f"request_{progress.status}", "ok", decision.approver_id, request.ref,
                             {"step": decision.step}))
        await uow.jobs.cancel(request.id, TIMER_PREFIX, uow.now())
        self._ask_feedback(uow, request)
        if progress.status == Status.APPROVED:
            await fulfilment.on_approved(uow, request)
        return request

    def _ask_feedback(self, uow: UnitOfWork, request: RequestRecord) -> None:
        """A request that ends here is asked about now; one still to be carried out (``on_approved``
        steps) once fulfilment is done or has failed (``domain.fulfilment``)."""
        action = self.catalog.actions.get(request.action_id)
        if request.status != Status.APPROVED or action is None or not action.on_approved:
            feedback.ask_when_finished(uow, request)

    def _members(self, request: RequestRecord, step: int) -> frozenset[str]:
        return members_for(self.catalog, request, step)


def _answer(field: Field, value: object) -> Answer:
    """A field's answer; for options, the labels people saw are kept beside the stored values."""
    shown = None
    if field.options and value is not None:
        picked = value if isinstance(value, list) else [value]
        shown = ", ".join(choice.label if (choice := field.choice(str(item))) else str(item) for item in picked)
    return Answer(field.id, field.label, value, str(field.type), shown)
