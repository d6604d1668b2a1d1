"""Roles filled from Slack user groups: looked up, kept a while, refreshed when a click needs it."""

from __future__ import annotations

import asyncio
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
    async with harness:
        harness.stub.set_usergroup("S0HR", ["U0HR2", "U0HR3"])
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
