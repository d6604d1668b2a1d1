"""The request service's rules against an in-memory unit of work: no database, no Slack."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import feedback, notifications
from domain.catalog import load_catalog, parse_catalog
from domain.errors import AlreadyDecided, NotAuthorized, RequestClosed, UnknownAction, UnknownRequest
from domain.forms import FieldErrors
from domain.lifecycle import Verdict
from domain.service import RequestService
from tests.conftest import E2E_CATALOG
from tests.memory_uow import MemoryDatabase

GOOD = {"full_name": "Ada Lovelace", "email": "ada@example.com", "start_date": "2026-12-14",
        "department": "Engineering", "laptops": "1", "notes": None}


@pytest.fixture
def memory() -> MemoryDatabase:
    return MemoryDatabase()


@pytest.fixture
def service(memory: MemoryDatabase) -> RequestService:
    catalog = load_catalog(E2E_CATALOG)
    return RequestService(lambda: catalog, memory.unit_of_work, memory.unit_of_work, memory.audit)


def kinds(memory: MemoryDatabase) -> list[str]:
    return [kind for kind, _, _ in memory.queued()]


async def test_submission_stores_the_request_and_queues_receipt_and_approver_asks(
        service: RequestService, memory: MemoryDatabase) -> None:
    submitted = await service.submit("U0HR1", "new-employee", GOOD, "V1")
    assert submitted.request.status == "pending" and not submitted.duplicate
    # the requester is in hr but may not approve their own request: only U0HR2 is asked
    assert memory.queued() == [(notifications.REQUESTER_RECEIPT, 1, {}),
                                 (notifications.APPROVER_ASK, 1, {"step": 0, "approver": "U0HR2"})]
    assert [e.kind for e in memory.store.audit] == ["request_created", "request_routed"]


async def test_a_replayed_submission_returns_the_first_request(service: RequestService, memory: MemoryDatabase) -> None:
    first = await service.submit("U0HR1", "new-employee", GOOD, "V1")
    again = await service.submit("U0HR1", "new-employee", GOOD, "V1")
    assert again.duplicate and again.request.id == first.request.id
    assert len(memory.store.requests) == 1


async def test_invalid_form_and_unknown_action_change_nothing_but_the_audit_log(
        service: RequestService, memory: MemoryDatabase) -> None:
    with pytest.raises(FieldErrors):
        await service.submit("U0HR1", "new-employee", {**GOOD, "laptops": "9"}, "V1")
    with pytest.raises(UnknownAction):
        await service.submit("U0HR1", "new-employe", GOOD, "V2")
    with pytest.raises(NotAuthorized):
        await service.submit("U0OUTSIDER", "new-employee", GOOD, "V3")
    assert memory.store.requests == {} and memory.queued() == []
    assert [(e.kind, e.outcome) for e in memory.store.audit] == [
        ("form_submitted", "invalid"), ("form_submitted", "refused"), ("form_submitted", "refused")]


async def test_decisions_move_the_request_through_its_steps(service: RequestService, memory: MemoryDatabase) -> None:
    await service.submit("U0HR1", "new-employee", GOOD, "V1")
    first = await service.decide("U0HR2", "REQ-1", 0, Verdict.APPROVE)
    assert (first.request.status, first.request.current_step) == ("pending", 1)
    second = await service.decide("U0IT1", "REQ-1", 1, Verdict.APPROVE)
    assert second.request.status == "approved"
    # each completed step redraws the receipt; the end of the request redraws the earlier step's DMs
    assert kinds(memory)[2:] == [notifications.APPROVER_REFRESH, notifications.REQUESTER_UPDATE,
                                 notifications.APPROVER_ASK, notifications.APPROVER_ASK,
                                 notifications.RECEIPT_REFRESH,
                                 notifications.APPROVER_REFRESH, notifications.REQUESTER_UPDATE,
                                 feedback.ASK, notifications.RECEIPT_REFRESH, notifications.APPROVER_REFRESH]


async def test_refused_decisions_are_audited_and_change_nothing(service: RequestService,
                                                                memory: MemoryDatabase) -> None:
    await service.submit("U0HR1", "new-employee", GOOD, "V1")
    jobs_before = memory.queued()
    for actor, error in (("U0HR1", NotAuthorized), ("U0IT1", NotAuthorized), ("U0OUTSIDER", NotAuthorized)):
        with pytest.raises(error):
            await service.decide(actor, "REQ-1", 0, Verdict.APPROVE)
    with pytest.raises(UnknownRequest):
        await service.decide("U0HR2", "REQ-9", 0, Verdict.APPROVE)
    await service.decide("U0HR2", "REQ-1", 0, Verdict.REJECT, "no budget")
    with pytest.raises(RequestClosed):
        await service.decide("U0HR2", "REQ-1", 0, Verdict.APPROVE)
    assert memory.store.requests[1].status == "rejected"
    # the rejection's own jobs only: refresh its DMs, tell the requester, ask for feedback, redraw the receipt
    assert len(memory.store.decisions) == 1 and len(memory.queued()) == len(jobs_before) + 4
    refused = [e for e in memory.store.audit if e.outcome == "refused"]
    assert [(e.actor, e.details and e.details["refused"]) for e in refused] == [
        ("U0HR1", "not_authorized"), ("U0IT1", "not_authorized"), ("U0OUTSIDER", "not_authorized"),
        ("U0HR2", "unknown_request"), ("U0HR2", "request_closed")]


async def test_a_double_click_is_refused_with_the_earlier_verdict(service: RequestService) -> None:
    await service.submit("U0SEC1", "access-request", {"system": "Billing", "why": "audit"}, "V1")
    await service.decide("U0SEC2", "REQ-1", 0, Verdict.APPROVE)
    with pytest.raises(AlreadyDecided) as again:
        await service.decide("U0SEC2", "REQ-1", 0, Verdict.APPROVE)
    assert again.value.verdict == "approve"


async def test_a_step_nobody_may_decide_tells_the_requester(memory: MemoryDatabase) -> None:
    catalog = parse_catalog("roles:\n  solo: {members: [U0SOLO]}\nactions:\n  thing:\n    title: Thing\n"
                            "    fields: [{id: what, label: What, type: text}]\n    approvals: [{role: solo}]\n")
    service = RequestService(lambda: catalog, memory.unit_of_work, memory.unit_of_work, memory.audit)
    await service.submit("U0SOLO", "thing", {"what": "x"}, "V1")
    assert memory.queued()[-1] == (notifications.REQUESTER_STUCK, 1, {"step": 0, "eligible": 0})
    assert [(e.kind, e.outcome) for e in memory.store.audit][-1] == ("request_routed", "stuck")


@pytest.mark.parametrize("verdict", [Verdict.APPROVE, Verdict.REJECT])
async def test_a_finished_request_cancels_its_pending_timers_and_nothing_else(
        service: RequestService, memory: MemoryDatabase, verdict: Verdict) -> None:
    await service.submit("U0HR1", "new-employee", GOOD, "V1")
    async with memory.unit_of_work() as uow:
        uow.enqueue("timer.remind", 1, {"step": 0}, due_at=uow.now() + timedelta(hours=4))
    await service.decide("U0HR2", "REQ-1", 0, Verdict.APPROVE)
    assert {job.kind: job.status for job in memory.store.jobs.values()}["timer.remind"] == "pending"
    await service.decide("U0IT1", "REQ-1", 1, verdict)
    statuses = {job.status for job in memory.store.jobs.values() if job.kind != "timer.remind"}
    assert statuses == {"pending"}  # DMs still to send
    assert [job.status for job in memory.store.jobs.values() if job.kind == "timer.remind"] == ["cancelled"]
