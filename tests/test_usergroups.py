"""Roles filled from Slack user groups: looked up, kept a while, refreshed when a click needs it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalog import CatalogError, parse_catalog
from domain.usergroups import UserGroups
from tests.harness import Harness
from tests.test_e2e_approval_flow import GOOD, approval_dm


async def test_a_group_is_looked_up_when_stale_and_a_failure_keeps_the_last_answer() -> None:
    now = [0.0]
    answers = {"S0A": frozenset({"U1"})}
    calls: list[str] = []

    async def fetch(group: str) -> frozenset[str]:
        calls.append(group)
        if group not in answers:
            raise RuntimeError("slack is away")
        return answers[group]

    groups = UserGroups(fetch, max_age=60, clock=lambda: now[0])
    assert groups.members("S0A") == frozenset()
    await groups.refresh(["S0A", "S0A"])
    await groups.refresh(["S0A"])  # fresh: not asked again
    assert groups.members("S0A") == {"U1"} and calls == ["S0A"]
    answers.pop("S0A")
    now[0] = 61
    await groups.refresh(["S0A"])
    assert groups.members("S0A") == {"U1"} and calls == ["S0A", "S0A"]


def test_the_checker_takes_usergroups_and_still_needs_someone() -> None:
    base = "roles:\n  it: {ROLE}\nactions:\n  a:\n    title: A\n    fields: [{id: x, label: X, type: text}]\n" \
           "    approvals: [{role: it, min_approvals: 3}]\n"
    catalog = parse_catalog(base.replace("ROLE", "usergroups: [S0IT]"))  # 3 approvals: counted at run time
    assert catalog.roles["it"].usergroups == ("S0IT",)
    with pytest.raises(CatalogError) as caught:
        parse_catalog(base.replace("{ROLE}", "{}").replace("min_approvals: 3", "min_approvals: 1"))
    assert [str(p) for p in caught.value.problems] == [
        "catalog.yaml:2: roles.it: a role needs 'members' or 'usergroups'"]


@pytest.fixture
async def grouped(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Harness]:
    path = tmp_path / "catalog.yaml"
    text = (Path(__file__).parent / "catalog_e2e.yaml").read_text()
    path.write_text(text.replace("hr: {members: [U0HR1, U0HR2]}", "hr: {members: [U0HR1], usergroups: [S0HR]}"))
    harness = Harness(engine, path)
    harness.stub.set_usergroup("S0HR", ["U0HR2", "U0HR3"])  # before the start, which looks it up
    async with harness:
        for user_id in ("U0HR2", "U0HR3"):  # in the group only, so not among the catalog's members
            harness.stub.add_user(user_id, name=user_id.lower(), real_name=user_id)
        yield harness


async def test_group_members_are_asked_and_a_click_sees_the_group_as_it_is_now(grouped: Harness) -> None:
    await grouped.submit("U0HR1", "new-employee", GOOD)
    await grouped.settle()
    dm3 = await approval_dm(grouped, "U0HR3")
    assert await approval_dm(grouped, "U0HR2")
    grouped.stub.set_usergroup("S0HR", ["U0HR2"])  # U0HR3 left the group in Slack
    keeper = grouped.runtime.catalog
    assert keeper is not None
    keeper.groups._max_age = 0  # the cached answer is old now
    await grouped.slack.click(dm3, "selfserve.approve", user_id="U0HR3")
    await grouped.settle()
    assert "only members of the *hr* role" in grouped.stub.calls_to("response_url")[-1].args["text"]
    assert grouped.stub.calls_to("usergroups.users.list")


async def test_a_slow_lookup_is_waited_for_briefly_and_shared_by_everyone_who_needs_it() -> None:
    calls: list[str] = []
    release = asyncio.Event()

    async def fetch(group: str) -> frozenset[str]:
        calls.append(group)
        await release.wait()
        return frozenset({"U9"})

    groups = UserGroups(fetch, wait=0.05)
    started = asyncio.get_running_loop().time()
    await asyncio.gather(*(groups.refresh(["S0A"]) for _ in range(5)))  # five clicks at once
    assert asyncio.get_running_loop().time() - started < 1 and calls == ["S0A"]
    assert groups.members("S0A") == frozenset()  # not known yet: they went on with what was known
    release.set()
    await asyncio.sleep(0.01)
    assert groups.members("S0A") == {"U9"}  # the lookup finished meanwhile


async def test_a_failed_lookup_stands_a_while_instead_of_being_retried_on_every_click() -> None:
    now = [0.0]
    calls: list[str] = []

    async def fetch(group: str) -> frozenset[str]:
        calls.append(group)
        raise RuntimeError("slack is away")

    groups = UserGroups(fetch, max_age=60, clock=lambda: now[0], retry_after_failure=30)
    await groups.refresh(["S0A"])
    now[0] = 29
    await groups.refresh(["S0A"])
    assert calls == ["S0A"]
    now[0] = 30
    await groups.refresh(["S0A"])
    assert calls == ["S0A", "S0A"]


async def test_clicks_during_a_slack_outage_ask_for_a_group_once(grouped: Harness) -> None:
    keeper = grouped.runtime.catalog
    assert keeper is not None
    await grouped.settle()
    keeper.groups._max_age = 0  # every click would look the group up again
    grouped.stub.clear_calls()
    grouped.stub.fail_next("usergroups.users.list", "internal_error", times=10)
    for _ in range(3):
        await grouped.submit("U0HR1", "new-employee", GOOD)
    await grouped.settle()
    assert len(grouped.stub.calls_to("usergroups.users.list")) == 1
    asked = [m for m in grouped.dms("U0HR3") if "Approval needed" in m.get("text", "")]
    assert len(asked) == 3  # the last answer (from the start) still counts


EXTRA_ROLES = "  admins: {usergroups: [S0ADM]}\n  leads: {usergroups: [S0LEAD]}\n"
PARKING = """  parking:
    title: Parking spot
    fields:
      - {id: where, label: Where, type: text}
    approvals:
      - {role: it, auto_approve: {requester_in: [leads]}}
"""


@pytest.fixture
async def checked_groups(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Harness]:
    """The admin role and an auto-approval rule's role are filled only from user groups."""
    path = tmp_path / "catalog.yaml"
    text = (Path(__file__).parent / "catalog_e2e.yaml").read_text()
    path.write_text(text.replace("roles:\n", "roles:\n" + EXTRA_ROLES, 1).replace("actions:\n", "actions:\n" + PARKING))
    harness = Harness(engine, path)
    for group in ("S0ADM", "S0LEAD"):
        harness.stub.set_usergroup(group, [])
    async with harness:
        await harness.settle()
        keeper = harness.runtime.catalog
        assert keeper is not None
        keeper.groups._max_age = 0  # what was looked up at the start is old now
        yield harness


async def test_the_admin_role_s_groups_are_looked_up_when_a_check_needs_them(checked_groups: Harness) -> None:
    harness = checked_groups
    await harness.submit("U0HR1", "new-employee", GOOD)
    harness.stub.set_usergroup("S0ADM", ["U0SEC1", "U0SOLO"])  # made admins in Slack after the start
    seen = await harness.slack.slash_command(user_id="U0SEC1", command="/selfserve", text="status REQ-1")
    assert "Onboard a new employee" in json.dumps(seen.json()), seen.text
    listed = await harness.slack.slash_command(user_id="U0SOLO", command="/selfserve", text="admin roles")
    assert "<@U0SOLO>" in json.dumps(listed.json()), listed.text


async def test_an_auto_approval_rule_s_groups_are_looked_up_on_submission(checked_groups: Harness) -> None:
    harness = checked_groups
    harness.stub.set_usergroup("S0LEAD", ["U0EMPLOYEE"])  # became a lead in Slack after the start
    response = await harness.submit("U0EMPLOYEE", "parking", {"where": "P2"})
    assert response.acted_on() == (True, None)
    await harness.settle()
    assert "step_auto_approved" in await harness.kinds() and "request_approved" in await harness.kinds()
    assert ":white_check_mark: Approved." in json.dumps(harness.dms("U0EMPLOYEE", questions=False)[-1]["blocks"])
    assert not [m for m in harness.dms("U0IT1") if "Approval needed" in m.get("text", "")]
