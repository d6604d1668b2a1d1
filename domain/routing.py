"""Who decides each approval step of a request, and which steps approve themselves.

A step is decided by the holders of its role (or of any of several roles), or by the person the
requester picked in a ``user`` field of the form. A step with an ``auto_approve`` rule that holds
when the request reaches it is approved on the spot: recorded as a decision by ``AUTO_APPROVER``
with the rule as its reason, so the request's history says why nobody was asked.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.catalog import Action, ApprovalStep, Catalog
from domain.catalog.fields import format_number
from domain.errors import UnknownRequest
from domain.ports import UnitOfWork
from domain.records import RequestRecord, Step, parse_request_ref

AUTO_APPROVER = "selfserve"
"""The decider recorded for a step its ``auto_approve`` rule approved."""


def request_steps(action: Action, values: Mapping[str, object]) -> tuple[Step, ...]:
    """The action's steps as the request keeps them: picked approvers resolved from the form."""
    return tuple(_step(action, step, values) for step in action.approvals)


def _step(action: Action, step: ApprovalStep, values: Mapping[str, object]) -> Step:
    auto: dict[str, object] | None = None
    rule = step.auto_approve
    if rule is not None and rule.requester_in is not None:
        auto = {"requester_in": list(rule.requester_in)}
    elif rule is not None and rule.field is not None:
        auto = {"field": rule.field, "at_most": rule.at_most}
    if step.approver_field is not None:
        picked = values.get(step.approver_field)
        return Step(action.field(step.approver_field).label, 1, (), (str(picked),) if picked else (), auto,
                    step.backup)
    return Step(step.describe, step.min_approvals, step.roles, (), auto, step.backup)


def roles_checked(action: Action) -> set[str]:
    """Every role whose holders a request for ``action`` is checked against: who may request it,
    who decides its steps, and whose requests a step approves by itself (``auto_approve``)."""
    roles = set(action.requesters or ())
    for step in action.approvals:
        roles.update(step.roles)
        if step.auto_approve is not None:
            roles.update(step.auto_approve.requester_in or ())
    return roles


def step_members(catalog: Catalog, step: Step) -> frozenset[str]:
    """Everyone who may decide ``step`` now: its roles' current holders and its named approvers."""
    members = set(step.approvers)
    for role in step.roles:
        members |= catalog.members_of(role)
    return frozenset(members)


def members_for(catalog: Catalog, request: RequestRecord, step: int) -> frozenset[str]:
    """Who may decide ``step`` of ``request`` (nobody for a step it does not have)."""
    return step_members(catalog, request.steps[step]) if 0 <= step < len(request.steps) else frozenset()


async def load_request(uow: UnitOfWork, ref: str, *, lock: bool) -> RequestRecord:
    """The request ``ref`` names (``REQ-42``), locked for the unit of work with ``lock``;
    ``UnknownRequest`` for anything else."""
    request_id = parse_request_ref(ref)
    request = None if request_id is None else await uow.requests.get(request_id, for_update=lock)
    if request is None:
        raise UnknownRequest(ref)
    return request


def auto_approval(catalog: Catalog, request: RequestRecord, step: int) -> str | None:
    """Why ``step`` approves itself for ``request``, in words for its history; None if it doesn't."""
    rule = request.steps[step].auto
    if not rule:
        return None
    for role in rule.get("requester_in") or ():
        if request.requester_id in catalog.members_of(str(role)):
            return f"the requester holds the {role} role"
    field, at_most = rule.get("field"), rule.get("at_most")
    if field is None or at_most is None:
        return None
    answer = next((a for a in request.answers if a.field_id == field), None)
    value = answer.value if answer is not None else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= float(at_most):
        return f"{answer.label if answer else field} is {format_number(float(value))}, at most " \
               f"{format_number(float(at_most))}"
    return None
