"""Handing a step over: by the Delegate button, and to a stand-in while someone is away."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from domain.catalog import parse_catalog
from domain.delegation import CannotDelegate, Delegation
from domain.errors import AlreadyDecided, NotAuthorized
from domain.lifecycle import Verdict
from domain.service import RequestService
from storage.database import Database
from tests.harness import Harness
from tests.memory_uow import MemoryDatabase
from tests.test_e2e_approval_flow import GOOD, approval_dm, buttons, statuses

CATALOG = """
settings:
  out_of_office: {U0HR2: U0HR3}
roles:
  hr: {members: [U0HR1, U0HR2, U0HR3]}
  it: {members: [U0IT1]}
actions:
  badge:
    title: Badge
    fields: [{id: why, label: Why, type: text}]
    approvals: [{role: it}]
  leave:
    title: Leave
    fields: [{id: why, label: Why, type: text}]
    approvals: [{role: hr}]
"""


@pytest.fixture
def memory() -> MemoryDatabase:
    return MemoryDatabase()


@pytest.fixture
def services(memory: MemoryDatabase) -> tuple[RequestService, Delegation]:
    catalog = parse_catalog(CATALOG)
    return (RequestService(lambda: catalog, memory.unit_of_work, memory.unit_of_work, memory.audit),
            Delegation(lambda: catalog, memory.unit_of_work, memory.audit))


def asked(memory: MemoryDatabase) -> list[str]:
    return [str(payload["approver"]) for kind, _, payload in memory.queued() if kind == "dm.approver.ask"]


async def test_a_delegate_decides_and_the_one_who_handed_over_no_longer_can(
        services: tuple[RequestService, Delegation], memory: MemoryDatabase) -> None:
    service, delegation = services
    await service.submit("U0HR1", "badge", {"why": "lost"}, "V1")
    with pytest.raises(NotAuthorized):  # only someone who could decide may hand it over
        await delegation.delegate("U0HR2", "REQ-1", 0, "U0HR3", None)
    with pytest.raises(CannotDelegate) as caught:
        await delegation.delegate("U0IT1", "REQ-1", 0, "U0HR1", None)
    assert caught.value.reason == "to_requester"
    await delegation.delegate("U0IT1", "REQ-1", 0, "U0HR3", "I'm at a conference")
    assert asked(memory) == ["U0IT1", "U0HR3"]
    with pytest.raises(AlreadyDecided):
        await service.decide("U0IT1", "REQ-1", 0, Verdict.APPROVE)
    decided = await service.decide("U0HR3", "REQ-1", 0, Verdict.APPROVE)
    assert decided.request.status == "approved"
    outcomes = [(e.kind, e.outcome) for e in memory.store.audit if e.kind == "delegated"]
    assert outcomes == [("delegated", "refused"), ("delegated", "refused"), ("delegated", "ok")]


async def test_someone_away_is_not_asked_their_stand_in_is(services: tuple[RequestService, Delegation],
                                                           memory: MemoryDatabase) -> None:
    service, delegation = services
    await delegation.set_away("U0HR1", "U0IT1", None)
    await service.submit("U0IT1", "leave", {"why": "holiday"}, "V1")
    # U0HR1 is away (U0IT1 stands in, but requested it himself), U0HR2 is out of office (catalog: U0HR3)
    assert sorted(asked(memory)) == ["U0HR3"]
    assert await delegation.back("U0HR1") and not await delegation.back("U0HR1")
    await service.submit("U0IT1", "leave", {"why": "again"}, "V2")
    assert sorted(asked(memory)[1:]) == ["U0HR1", "U0HR3"]


async def test_absences_end_when_they_say(database: Database) -> None:
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    async with database.unit_of_work() as uow:
        await uow.away.set("U0A", "U0B", now + timedelta(days=1), now)
        await uow.away.set("U0C", "U0D", None, now)
        await uow.away.set("U0A", "U0E", now + timedelta(days=2), now)  # a second absence replaces the first
    async with database.reader() as uow:
        assert await uow.away.active(["U0A", "U0C", "U0X"], now) == {"U0A": "U0E", "U0C": "U0D"}
        assert await uow.away.active(["U0A", "U0C"], now + timedelta(days=3)) == {"U0C": "U0D"}


async def test_delegate_through_slack(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    dm = await approval_dm(harness, "U0HR2")
    assert buttons(dm) == ["selfserve.approve", "selfserve.reject", "selfserve.delegate"]
    await harness.slack.click(dm, "selfserve.delegate", user_id="U0HR2")
    calls = await harness.stub.wait_for("views.open", count=2)
    form = dict(calls[-1].response["view"])
    refused = await harness.slack.submit_view(form, user_id="U0HR2", values={"to": "U0HR1"})
    assert refused.json()["errors"] == {"to": "The requester can't decide their own request; choose someone else."}
    response = await harness.slack.submit_view(form, user_id="U0HR2", values={"to": "U0IT1", "note": "on leave"})
    assert response.status == 200 and response.text in ("", "{}")
    await harness.settle()
    mine = await approval_dm(harness, "U0HR2")
    assert "handed this to <@U0IT1>" in json.dumps(mine) and buttons(mine)  # the step is still open
    theirs = await approval_dm(harness, "U0IT1")
    await harness.slack.click(mine, "selfserve.approve", user_id="U0HR2")
    await harness.settle()
    assert "You handed *REQ-1* to someone else" in harness.stub.calls_to("response_url")[-1].args["text"]
    await harness.slack.click(theirs, "selfserve.approve", user_id="U0IT1")
    await harness.settle()
    assert await statuses(harness) == [(1, "pending", 1)]


async def test_away_through_slack(harness: Harness) -> None:
    async def say(text: str) -> str:
        response = await harness.slack.slash_command(user_id="U0HR2", command="/selfserve", text=text)
        return str(response.json()["text"])

    assert "Say who answers for you" in await say("away")
    assert "not a date" in await say("away <@U0IT1|it> until 2026-02-30")
    assert "already passed" in await say("away <@U0IT1|it> until 2020-01-01")
    assert "Choose someone other than yourself" in await say("away <@U0HR2>")
    assert "while you are away until 2099-01-01, <@U0IT1> decides" in await say("away <@U0IT1|it> until 2099-01-01")
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    assert await approval_dm(harness, "U0IT1") and not [m for m in harness.dms("U0HR2") if "Approval" in m["text"]]
    assert "Welcome back" in await say("away off")
    assert "You were not marked away" in await say("away off")
    kinds = await harness.kinds("ok")
    assert kinds.count("away_set") == 1 and kinds.count("away_cleared") == 1 and "delegated" in kinds
    assert (await harness.kinds("refused")).count("away_set") == 2  # the date that passed, and oneself


async def test_away_takes_only_a_mention_or_an_exact_user_id(harness: Harness) -> None:
    for word in ("ursula", "Wally", "u0it1"):
        response = await harness.slack.slash_command(user_id="U0HR2", command="/selfserve", text=f"away {word}")
        assert "Say who answers for you" in str(response.json()["text"]), word
    assert "away_set" not in await harness.kinds()


async def test_two_people_covering_for_each_other_are_both_asked(services: tuple[RequestService, Delegation],
                                                                 memory: MemoryDatabase) -> None:
    service, delegation = services
    await delegation.set_away("U0HR1", "U0HR3", None)
    await delegation.set_away("U0HR3", "U0HR1", None)
    await service.submit("U0IT1", "leave", {"why": "x"}, "V1")
    # U0HR2 is out of office with U0HR3 standing in, who is away too: everyone is asked themselves
    assert sorted(asked(memory)) == ["U0HR1", "U0HR2", "U0HR3"]
    assert await service.decide("U0HR3", "REQ-1", 0, Verdict.APPROVE)


async def test_a_step_cannot_go_to_someone_who_decided_it(services: tuple[RequestService, Delegation],
                                                          memory: MemoryDatabase) -> None:
    service, delegation = services
    await service.submit("U0IT1", "leave", {"why": "x"}, "V1")
    with pytest.raises(CannotDelegate) as caught:  # U0HR2 is out of office: the step went from them to U0HR3
        await delegation.delegate("U0HR1", "REQ-1", 0, "U0HR2", None)
    assert caught.value.reason == "already_decided"  # back to who handed it on: nobody could decide it


async def test_the_hand_over_note_reaches_the_delegate_and_the_history_as_typed(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    await harness.slack.click(await approval_dm(harness, "U0HR2"), "selfserve.delegate", user_id="U0HR2")
    [*_, opened] = await harness.stub.wait_for("views.open", count=2)
    note = "Off until <!channel> Monday & *please* check the laptop"
    response = await harness.slack.submit_view(opened.response["view"], user_id="U0HR2",
                                               values={"to": "U0IT1", "note": note})
    assert response.acted_on() == (True, None)
    await harness.settle()
    shown = "“Off until &lt;!channel&gt; Monday &amp; *please* check the laptop”"
    assert shown in json.dumps(await approval_dm(harness, "U0IT1"), ensure_ascii=False)
    status = await harness.slack.slash_command(user_id="U0IT1", command="/selfserve", text="status REQ-1")
    history = json.dumps(status.json(), ensure_ascii=False)
    assert "handed it to <@U0IT1>" in history and shown in history
    assert "<!channel>" not in history
