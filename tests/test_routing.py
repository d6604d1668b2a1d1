"""Approval routing: several roles, a person picked in the form, steps that approve themselves."""

from __future__ import annotations

import pytest

from domain import notifications
from domain.catalog import parse_catalog
from domain.lifecycle import Verdict
from domain.routing import AUTO_APPROVER
from domain.service import RequestService
from tests.memory_uow import MemoryDatabase

CATALOG = """
roles:
  hr: {members: [U0HR1, U0HR2]}
  it: {members: [U0IT1]}
  finance: {members: [U0FIN1]}
  staff: {members: [U0EMP]}
actions:
  purchase:
    title: Purchase
    fields:
      - {id: item, label: Item, type: text}
      - {id: amount, label: Amount, type: number, min: 0, max: 100000}
      - {id: manager, label: Your manager, type: user}
    approvals:
      - {approver_field: manager}
      - {any_of: [hr, it]}
      - {role: finance, auto_approve: {field: amount, at_most: 100}}
  badge:
    title: Badge
    fields: [{id: why, label: Why, type: text}]
    approvals:
      - {role: hr, auto_approve: {requester_in: [hr, it]}}
"""


@pytest.fixture
def memory() -> MemoryDatabase:
    return MemoryDatabase()


@pytest.fixture
def service(memory: MemoryDatabase) -> RequestService:
    catalog = parse_catalog(CATALOG)
    return RequestService(lambda: catalog, memory.unit_of_work, memory.unit_of_work, memory.audit)


def asked(memory: MemoryDatabase, step: int) -> list[str]:
    return [str(payload["approver"]) for kind, _, payload in memory.queued()
            if kind == notifications.APPROVER_ASK and payload["step"] == step]


async def test_the_person_picked_in_the_form_decides_then_any_role_holder(service: RequestService,
                                                                         memory: MemoryDatabase) -> None:
    submitted = await service.submit("U0EMP", "purchase", {"item": "Desk", "amount": "250",
                                                           "manager": "U0MGR9"}, "V1")
    assert submitted.request.steps[0].role == "Your manager" and asked(memory, 0) == ["U0MGR9"]
    with pytest.raises(Exception, match="not_an_approver|NotAuthorized"):
        await service.decide("U0HR1", "REQ-1", 0, Verdict.APPROVE)
    await service.decide("U0MGR9", "REQ-1", 0, Verdict.APPROVE)
    assert asked(memory, 1) == ["U0HR1", "U0HR2", "U0IT1"]
    decided = await service.decide("U0IT1", "REQ-1", 1, Verdict.APPROVE)
    assert (decided.request.status, decided.request.current_step) == ("pending", 2)  # 250 > 100
    assert asked(memory, 2) == ["U0FIN1"]


async def test_a_small_amount_skips_the_finance_step_and_says_why(service: RequestService,
                                                                  memory: MemoryDatabase) -> None:
    await service.submit("U0EMP", "purchase", {"item": "Pens", "amount": "40", "manager": "U0MGR9"}, "V1")
    await service.decide("U0MGR9", "REQ-1", 0, Verdict.APPROVE)
    decided = await service.decide("U0HR2", "REQ-1", 1, Verdict.APPROVE)
    assert decided.request.status == "approved" and asked(memory, 2) == []
    [auto] = [d for d in memory.store.decisions if d.approver_id == AUTO_APPROVER]
    assert (auto.step, auto.reason) == (2, "Amount is 40, at most 100")
    kinds = [e.kind for e in memory.store.audit]
    assert kinds.count("step_auto_approved") == 1 and kinds[-1] == "request_approved"


async def test_a_requester_holding_a_listed_role_skips_the_step_at_once(service: RequestService,
                                                                        memory: MemoryDatabase) -> None:
    submitted = await service.submit("U0IT1", "badge", {"why": "lost it"}, "V1")
    assert submitted.request.status == "approved" and asked(memory, 0) == []
    [auto] = memory.store.decisions
    assert auto.reason == "the requester holds the it role"
    other = await service.submit("U0EMP", "badge", {"why": "new"}, "V2")
    assert other.request.status == "pending" and asked(memory, 0) == ["U0HR1", "U0HR2"]


def problems(text: str) -> list[str]:
    from domain.catalog import CatalogError

    with pytest.raises(CatalogError) as caught:
        parse_catalog(text)
    return [str(p) for p in caught.value.problems]


def test_the_checker_names_each_routing_mistake() -> None:
    assert problems(CATALOG.replace("{any_of: [hr, it]}", "{any_of: [hr, it], role: hr}").replace(
        "{requester_in: [hr, it]}", "{requester_in: [hr], field: why}")) == [
        "catalog.yaml:16: actions.purchase.approvals[1]: give exactly one of 'role', 'any_of' or "
        "'approver_field' (got role, any_of)",
        "catalog.yaml:22: actions.badge.approvals[0].auto_approve: give either 'requester_in' or 'field' "
        "with 'at_most'",
    ]
    assert problems(CATALOG.replace("{approver_field: manager}", "{approver_field: item}").replace(
        "{field: amount, at_most: 100}", "{field: item, at_most: 100}")) == [
        "catalog.yaml:15: actions.purchase.approvals[0].approver_field: 'item' must be a required, always "
        "shown field of type user",
        "catalog.yaml:17: actions.purchase.approvals[2].auto_approve.field: 'item' must be a number field of "
        "this action",
    ]
    assert problems(CATALOG.replace("{any_of: [hr, it]}", "{any_of: [hr, it], min_approvals: 4}")) == [
        "catalog.yaml:16: actions.purchase.approvals[1].min_approvals: needs 4 approvals but roles 'hr', 'it' "
        "have only 3 members"]



def test_someone_holding_several_of_a_step_s_roles_counts_once() -> None:
    overlapping = CATALOG.replace("it: {members: [U0IT1]}", "it: {members: [U0IT1, U0HR1, U0HR2]}")
    assert problems(overlapping.replace("{any_of: [hr, it]}", "{any_of: [hr, it], min_approvals: 4}")) == [
        "catalog.yaml:16: actions.purchase.approvals[1].min_approvals: needs 4 approvals but roles 'hr', 'it' "
        "have only 3 members"]
    assert parse_catalog(overlapping.replace("{any_of: [hr, it]}", "{any_of: [hr, it], min_approvals: 3}"))
