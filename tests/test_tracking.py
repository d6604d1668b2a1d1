"""Following requests and cancelling them, on the in-memory unit of work: who may see a request,
what lists hold, and what a cancellation changes (no database, no Slack)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Coroutine
from datetime import timedelta
from typing import Any

import pytest

from domain import notifications, surfaces
from domain.cancellation import Canceller, NotYourRequest
from domain.catalog import Catalog, CatalogError, parse_catalog
from domain.delegation import Delegation
from domain.errors import RequestClosed
from domain.lifecycle import Verdict
from domain.service import RequestService
from domain.surfaces import HOME_REFRESH
from domain.tracking import RequestNotVisible, Tracker, may_see
from tests.memory_uow import MemoryDatabase

CATALOG = """
settings: {admin_role: auditors}
roles:
  hr: {members: [U0HR1, U0HR2]}
  it: {members: [U0IT1, U0IT2]}
  auditors: {members: [U0AUD]}
  solo: {members: [U0SOLO]}
actions:
  onboard:
    title: Onboard <someone>
    fields: [{id: who, label: Who, type: text}]
    approvals: [{role: hr}, {role: it}]
  pick:
    title: Picked approver
    fields: [{id: who, label: Who, type: user}]
    approvals: [{approver_field: who}]
  own:
    title: Self-approvable
    fields: [{id: what, label: What, type: text}]
    approvals: [{role: solo}]
    allow_self_approval: true
  lunch:
    title: Lunch
    fields: [{id: dish, label: Dish, type: text}]
"""


class World:
    def __init__(self, catalog: Catalog) -> None:
        self.memory = MemoryDatabase()
        self.deferred: list[Coroutine[Any, Any, None]] = []
        self.service = RequestService(lambda: catalog, self.memory.unit_of_work, self.memory.unit_of_work,
                                      self.memory.audit)
        self.tracker = Tracker(lambda: catalog, self.memory.unit_of_work, self.memory.unit_of_work, self.memory.audit,
                               self.deferred.append)
        self.canceller = Canceller(lambda: catalog, self.memory.unit_of_work, self.memory.audit)
        # everyone looks at their Home tab, so every Home a change concerns is refreshed
        watchers = {*re.findall(r"U0[A-Z0-9]+", CATALOG), "U0EMP", "U0OUT", "U0SUB"}
        self.memory.store.home_viewers.update(dict.fromkeys(watchers, self.memory.tick()))

    async def flush(self) -> list[tuple[str, str, str | None]]:
        """Run the deferred audit appends; returns (kind, outcome, actor) of the whole log."""
        for work in self.deferred:
            await work
        self.deferred.clear()
        return [(e.kind, e.outcome, e.actor) for e in self.memory.store.audit]

    async def submit(self, actor: str, action: str, values: dict[str, Any]) -> str:
        submitted = await self.service.submit(actor, action, values, None)
        return submitted.request.ref


@pytest.fixture
async def world() -> AsyncIterator[World]:
    running = World(parse_catalog(CATALOG))
    yield running
    await running.flush()


async def test_the_requester_approvers_deciders_and_admins_see_a_request_and_no_one_else(world: World) -> None:
    ref = await world.submit("U0EMP", "onboard", {"who": "Ada"})
    for viewer in ("U0EMP", "U0HR1", "U0HR2", "U0IT1", "U0AUD"):  # requester, both steps' holders, admin
        status = await world.tracker.status(viewer, ref, {})
        assert status.request.ref == ref
    with pytest.raises(RequestNotVisible) as hidden:
        await world.tracker.status("U0SOLO", ref, {})
    with pytest.raises(RequestNotVisible) as unknown:
        await world.tracker.status("U0SOLO", "REQ-99", {})
    with pytest.raises(RequestNotVisible):
        await world.tracker.status("U0SOLO", "garbage", {})
    # the same refusal either way; the audit log knows which it was
    assert type(hidden.value) is type(unknown.value) and hidden.value.code == unknown.value.code
    await world.flush()
    refused = [e for e in world.memory.store.audit if e.outcome == "refused"]
    assert [(e.request_ref, e.details and e.details["reason"]) for e in refused] == [
        (ref, "not_a_viewer"), ("REQ-99", "unknown_request"), (None, "unknown_request")]


async def test_someone_who_decided_keeps_seeing_the_request_after_leaving_the_role(world: World) -> None:
    ref = await world.submit("U0EMP", "onboard", {"who": "Ada"})
    await world.service.decide("U0HR1", ref, 0, Verdict.APPROVE)
    status = await world.tracker.status("U0HR1", ref, {})
    shrunk = parse_catalog(CATALOG.replace("members: [U0HR1, U0HR2]", "members: [U0HR2]"))
    assert may_see(shrunk, status.request, status.decisions, "U0HR1")
    assert not may_see(shrunk, status.request, [], "U0HR1")


async def test_a_person_picked_in_the_form_sees_the_request(world: World) -> None:
    ref = await world.submit("U0EMP", "pick", {"who": "U0PICKED"})
    assert (await world.tracker.status("U0PICKED", ref, {})).waiting_on == ("U0PICKED",)
    assert [r.ref for r in await world.tracker.pending("U0PICKED", {})] == [ref]


async def test_status_says_who_may_still_decide_the_current_step(world: World) -> None:
    ref = await world.submit("U0HR1", "onboard", {"who": "Ada"})
    assert (await world.tracker.status("U0HR1", ref, {})).waiting_on == ("U0HR2",)  # never the requester
    await world.service.decide("U0HR2", ref, 0, Verdict.APPROVE)
    assert (await world.tracker.status("U0HR1", ref, {})).waiting_on == ("U0IT1", "U0IT2")
    await world.service.decide("U0IT2", ref, 1, Verdict.REJECT, "no")
    assert (await world.tracker.status("U0HR1", ref, {})).waiting_on == ()


async def test_mine_is_newest_first_and_bounded_and_open_requests_only_the_pending(world: World) -> None:
    refs = [await world.submit("U0EMP", "lunch" if n % 2 else "onboard", {"dish": "x", "who": "y"})
            for n in range(25)]
    mine = await world.tracker.mine("U0EMP", {})
    assert [r.ref for r in mine] == refs[::-1][:20]
    opened = await world.tracker.open_requests("U0EMP", {})
    assert [r.ref for r in opened] == [ref for n, ref in enumerate(refs) if n % 2 == 0][::-1]
    assert await world.tracker.mine("U0HR1", {}) == []


async def test_pending_lists_what_waits_on_the_user_now(world: World) -> None:
    first = await world.submit("U0EMP", "onboard", {"who": "Ada"})
    second = await world.submit("U0HR1", "onboard", {"who": "Bob"})
    assert [r.ref for r in await world.tracker.pending("U0HR2", {})] == [second, first]
    assert [r.ref for r in await world.tracker.pending("U0HR1", {})] == [first]  # not their own
    assert await world.tracker.pending("U0IT1", {}) == []  # not at their step yet
    await world.service.decide("U0HR2", first, 0, Verdict.APPROVE)
    assert [r.ref for r in await world.tracker.pending("U0HR2", {})] == [second]
    assert [r.ref for r in await world.tracker.pending("U0IT1", {})] == [first]
    # a step needing two approvals stays pending for the second approver only
    two = World(parse_catalog(CATALOG.replace("{role: it}", "{role: it, min_approvals: 2}")))
    ref = await two.submit("U0EMP", "onboard", {"who": "Ada"})
    await two.service.decide("U0HR1", ref, 0, Verdict.APPROVE)
    await two.service.decide("U0IT1", ref, 1, Verdict.APPROVE)
    assert await two.tracker.pending("U0IT1", {}) == []
    assert [r.ref for r in await two.tracker.pending("U0IT2", {})] == [ref]
    await two.flush()


async def test_pending_follows_the_catalog_as_it_is_now(world: World) -> None:
    ref = await world.submit("U0EMP", "onboard", {"who": "Ada"})
    world.tracker = Tracker(lambda: parse_catalog(CATALOG.replace("members: [U0HR1, U0HR2]", "members: [U0HR2]")),
                            world.memory.unit_of_work, world.memory.unit_of_work, world.memory.audit,
                            world.deferred.append)
    assert await world.tracker.pending("U0HR1", {}) == []
    assert [r.ref for r in await world.tracker.pending("U0HR2", {})] == [ref]
    await world.flush()


async def test_self_approval_shows_in_pending_only_where_allowed(world: World) -> None:
    ref = await world.submit("U0SOLO", "own", {"what": "x"})
    assert [r.ref for r in await world.tracker.pending("U0SOLO", {})] == [ref]


async def test_home_holds_the_catalog_the_open_requests_and_the_approvals_waiting(world: World) -> None:
    mine = await world.submit("U0HR1", "onboard", {"who": "Ada"})
    theirs = await world.submit("U0EMP", "onboard", {"who": "Bob"})
    await world.submit("U0HR1", "lunch", {"dish": "soup"})  # approved at once: not open
    home = await world.tracker.home("U0HR1")
    assert [a.id for a in home.actions] == ["onboard", "pick", "own", "lunch"]
    assert [r.ref for r in home.open_requests] == [mine]
    assert [r.ref for r in home.waiting] == [theirs]
    assert await world.flush() == [("request_created", "ok", "U0HR1"), ("request_routed", "ok", None),
                                   ("request_created", "ok", "U0EMP"), ("request_routed", "ok", None),
                                   ("request_created", "ok", "U0HR1"), ("request_approved", "ok", None)]


async def test_the_requester_cancels_a_pending_request_and_every_surface_is_redrawn(world: World) -> None:
    ref = await world.submit("U0EMP", "onboard", {"who": "Ada"})
    await world.service.decide("U0HR1", ref, 0, Verdict.APPROVE)
    before = len(world.memory.queued(homes=True))
    cancelled = await world.canceller.cancel("U0EMP", ref, {"via": "test"})
    assert (cancelled.status, cancelled.current_step, cancelled.decided_at is not None) == ("cancelled", 1, True)
    jobs = world.memory.queued(homes=True)[before:]
    assert jobs == [(notifications.RECEIPT_REFRESH, 1, {}),
                    (notifications.APPROVER_REFRESH, 1, {"step": 0}),
                    (notifications.APPROVER_REFRESH, 1, {"step": 1}),
                    *((HOME_REFRESH, 1, {"user": user, "settled": True}) for user in ("U0EMP", "U0IT1", "U0IT2"))]
    [event] = [e for e in world.memory.store.audit if e.kind == "request_cancelled"]
    assert (event.actor, event.request_ref, event.details) == ("U0EMP", ref, {"via": "test", "step": 1})
    assert await world.tracker.pending("U0IT1", {}) == []
    # a later click is refused with who cancelled it
    with pytest.raises(RequestClosed) as late:
        await world.service.decide("U0IT1", ref, 1, Verdict.APPROVE)
    assert (late.value.status, late.value.decided_by) == ("cancelled", ("U0EMP",))


async def test_only_the_requester_may_cancel_and_only_while_pending(world: World) -> None:
    ref = await world.submit("U0EMP", "onboard", {"who": "Ada"})
    with pytest.raises(NotYourRequest) as other:
        await world.canceller.cancel("U0HR1", ref, {})
    with pytest.raises(NotYourRequest) as unknown:
        await world.canceller.cancel("U0HR1", "REQ-42", {})
    assert str(other.value.code) == str(unknown.value.code)
    await world.service.decide("U0HR1", ref, 0, Verdict.REJECT, "no")
    with pytest.raises(RequestClosed) as closed:
        await world.canceller.cancel("U0EMP", ref, {})
    assert (closed.value.status, closed.value.decided_by) == ("rejected", ("U0HR1",))
    await world.canceller.cancel("U0EMP", await world.submit("U0EMP", "onboard", {"who": "Bob"}), {})
    with pytest.raises(RequestClosed) as twice:
        await world.canceller.cancel("U0EMP", "REQ-2", {})
    assert twice.value.decided_by == ("U0EMP",)
    assert world.memory.store.requests[1].status == "rejected"
    refused = [(e.kind, e.details and e.details["refused"], e.details and e.details.get("reason"))
               for e in world.memory.store.audit if e.outcome == "refused"]
    assert refused == [("cancel", "not_your_request", "not_the_requester"),
                       ("cancel", "not_your_request", "unknown_request"),
                       ("cancel", "request_closed", None), ("cancel", "request_closed", None)]


async def test_a_cancellation_cancels_pending_timers(world: World) -> None:
    ref = await world.submit("U0EMP", "onboard", {"who": "Ada"})
    async with world.memory.unit_of_work() as uow:
        uow.enqueue("timer.remind", 1, {"step": 0})
    await world.canceller.cancel("U0EMP", ref, {})
    assert [job.status for job in world.memory.store.jobs.values() if job.kind == "timer.remind"] == ["cancelled"]


async def test_submissions_and_decisions_refresh_the_homes_they_concern(world: World) -> None:
    def homes() -> list[str]:
        return [str(payload["user"]) for kind, _, payload in world.memory.queued(homes=True) if kind == HOME_REFRESH]

    ref = await world.submit("U0EMP", "onboard", {"who": "Ada"})
    assert homes() == ["U0EMP", "U0HR1", "U0HR2"]
    await world.service.decide("U0HR1", ref, 0, Verdict.APPROVE)  # hr loses it, it gains it
    assert homes()[3:] == ["U0EMP", "U0HR1", "U0HR2", "U0IT1", "U0IT2"]
    two = World(parse_catalog(CATALOG.replace("{role: it}", "{role: it, min_approvals: 2}")))
    ref = await two.submit("U0EMP", "onboard", {"who": "Ada"})
    await two.service.decide("U0HR1", ref, 0, Verdict.APPROVE)
    before = len(two.memory.queued(homes=True))
    await two.service.decide("U0IT1", ref, 1, Verdict.APPROVE)  # the step stays open: only the decider's list moves
    assert [p["user"] for k, _, p in two.memory.queued(homes=True)[before:] if k == HOME_REFRESH] == ["U0EMP", "U0IT1"]


def test_the_admin_role_must_be_defined_when_named() -> None:
    base = CATALOG.split("roles:", 1)[1]
    assert parse_catalog("roles:" + base).settings.admins == "admins"  # unset: a role called admins, if any
    with pytest.raises(CatalogError) as error:
        parse_catalog("settings: {admin_role: auditor}\nroles:" + base)
    assert [p.message for p in error.value.problems] == ["unknown role 'auditor' (did you mean 'auditors'?)"]
    assert error.value.problems[0].path == "settings.admin_role"


async def test_home_refreshes_come_due_together_after_the_end_of_the_second(world: World,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    await world.submit("U0EMP", "onboard", {"who": "Ada"})
    homes = [job for job in world.memory.store.jobs.values() if job.kind == HOME_REFRESH]
    [due] = {job.due_at for job in homes}
    assert due.microsecond == 500_000 and 0.5 < (due - homes[0].created_at).total_seconds() <= 1.5
    assert all(job.payload["settled"] for job in homes)
    monkeypatch.setattr(surfaces, "HOME_REFRESH_BATCH", timedelta(0))
    await world.submit("U0EMP", "onboard", {"who": "Bob"})
    assert [(job.due_at == job.created_at, dict(job.payload)) for job in world.memory.store.jobs.values()
            if job.kind == HOME_REFRESH and job.request_id == 2] == [(True, {"user": "U0EMP"}),
                                                                     (True, {"user": "U0HR1"}),
                                                                     (True, {"user": "U0HR2"})]


async def test_a_step_handed_over_waits_on_its_delegate_and_no_longer_on_who_handed_it(world: World) -> None:
    catalog = parse_catalog(CATALOG)
    delegation = Delegation(lambda: catalog, world.memory.unit_of_work, world.memory.audit)
    ref = await world.submit("U0EMP", "onboard", {"who": "Ada"})
    before = len(world.memory.queued(homes=True))
    await delegation.delegate("U0HR1", ref, 0, "U0OUT", "on leave")
    homes = [p["user"] for k, _, p in world.memory.queued(homes=True)[before:] if k == HOME_REFRESH]
    assert homes == ["U0HR1", "U0OUT"]
    assert [r.ref for r in await world.tracker.pending("U0OUT", {})] == [ref]
    assert await world.tracker.pending("U0HR1", {}) == []
    status = await world.tracker.status("U0OUT", ref, {})  # a delegate may see it
    assert status.waiting_on == ("U0HR2", "U0OUT")
    await world.service.decide("U0OUT", ref, 0, Verdict.APPROVE)
    assert await world.tracker.pending("U0OUT", {}) == []
    assert (await world.tracker.status("U0OUT", ref, {})).waiting_on == ("U0IT1", "U0IT2")


async def test_a_stand_in_for_someone_away_is_waited_on_and_told_on_the_home_tab() -> None:
    away = World(parse_catalog(CATALOG.replace("settings: {admin_role: auditors}",
                                               "settings: {admin_role: auditors, out_of_office: {U0HR2: U0SUB}}")))
    ref = await away.submit("U0HR1", "onboard", {"who": "Ada"})
    homes = [p["user"] for k, _, p in away.memory.queued(homes=True) if k == HOME_REFRESH]
    assert homes == ["U0HR1", "U0SUB"]  # HR2 is away: their stand-in is asked instead
    assert [r.ref for r in await away.tracker.pending("U0SUB", {})] == [ref]
    assert await away.tracker.pending("U0HR2", {}) == []
    assert (await away.tracker.status("U0HR1", ref, {})).waiting_on == ("U0SUB",)
    await away.flush()
