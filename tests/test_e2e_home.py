"""The App Home tab and the "Self-service" shortcut through the Slack stand-in: the Home is
published when opened and again whenever something of the person's changes, its buttons work,
and the shortcut's picker pushes the chosen action's form."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from domain import surfaces
from domain.catalog import parse_catalog
from tests.conftest import E2E_CATALOG
from tests.harness import Harness
from tests.test_e2e_approval_flow import GOOD, approval_dm
from tests.test_e2e_tracking import actions, status_of


@pytest.fixture(autouse=True)
def homes_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Home refreshes due at once (not at the end of the second), so settle() performs them."""
    monkeypatch.setattr(surfaces, "HOME_REFRESH_BATCH", timedelta(0))


def home(harness: Harness, user_id: str) -> dict[str, Any]:
    view = harness.stub.home(user_id)
    assert view is not None, f"no Home tab published for {user_id}"
    return view


async def open_homes(harness: Harness, *users: str) -> None:
    """``users`` open their Home tab (each is published then, and kept up to date from then on)."""
    for user_id in users:
        assert (await harness.slack.app_home_opened(user_id)).status == 200
    await harness.settle()


def shown(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


async def test_opening_the_home_tab_publishes_the_catalog_and_what_waits(harness: Harness) -> None:
    response = await harness.slack.app_home_opened("U0EMPLOYEE")
    assert response.status == 200
    await harness.settle()
    [published] = harness.stub.calls_to("views.publish")
    assert published.ok and published.args["user_id"] == "U0EMPLOYEE"
    view = home(harness, "U0EMPLOYEE")
    assert view["type"] == "home"
    starts = [value for action_id, value in actions(view) if action_id == "selfserve.open_form"]
    assert starts == ["access-request", "lunch-order", "self-service"]  # only what they may request
    assert "Nothing is waiting on you." in shown(view) and "You have no open requests." in shown(view)

    await harness.slack.app_home_opened("U0EMPLOYEE", tab="messages")  # the Messages tab needs nothing
    await harness.settle()
    assert len(harness.stub.calls_to("views.publish")) == 1


async def test_the_home_follows_every_change_of_its_persons_requests_and_approvals(harness: Harness) -> None:
    await open_homes(harness, "U0HR1", "U0HR2", "U0IT1")
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    # published again by jobs, without anyone opening the tab again
    assert actions(home(harness, "U0HR1"))[0] == ("selfserve.cancel", "REQ-1")
    assert "waiting at step 1 of 2 (hr)" in shown(home(harness, "U0HR1"))
    hr = home(harness, "U0HR2")
    assert actions(hr)[:2] == [("selfserve.approve", "REQ-1:0"), ("selfserve.reject", "REQ-1:0")]
    assert "Nothing is waiting on you." in shown(home(harness, "U0IT1"))  # not concerned yet

    await harness.slack.click(hr, "selfserve.approve", user_id="U0HR2", value="REQ-1:0")  # from the Home tab
    await harness.settle()
    assert await status_of(harness, "REQ-1") == "pending"
    assert "Approved by <@U0HR2>" in json.dumps(await approval_dm(harness, "U0HR2"))  # the DM follows too
    assert "Nothing is waiting on you." in shown(home(harness, "U0HR2"))
    assert actions(home(harness, "U0IT1"))[:2] == [("selfserve.approve", "REQ-1:1"), ("selfserve.reject", "REQ-1:1")]
    assert "waiting at step 2 of 2 (it)" in shown(home(harness, "U0HR1"))

    await harness.slack.click(home(harness, "U0HR1"), "selfserve.cancel", user_id="U0HR1", value="REQ-1")
    await harness.settle()
    assert await status_of(harness, "REQ-1") == "cancelled"
    assert "You have no open requests." in shown(home(harness, "U0HR1"))
    assert "Nothing is waiting on you." in shown(home(harness, "U0IT1"))
    # a click with no message under it is answered in a small modal
    [notice] = [c.args["view"] for c in harness.stub.calls_to("views.open") if c.args["view"].get("callback_id")
                == "selfserve.notice"]
    assert "*REQ-1* (Onboard a new employee) is cancelled" in json.dumps(notice)


async def test_homes_nobody_looks_at_are_not_published_on_changes(harness: Harness) -> None:
    """Only those who opened their Home (within HOME_WATCH: tests/test_tracking_storage.py) get it
    published again on a change; the others see the present when they open it."""
    await open_homes(harness, "U0HR1")
    harness.stub.clear_calls()
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    assert [c.args["user_id"] for c in harness.stub.calls_to("views.publish")] == ["U0HR1"]
    assert harness.stub.home("U0HR2") is None  # the approver never looked
    await open_homes(harness, "U0HR2")
    assert actions(home(harness, "U0HR2"))[:2] == [("selfserve.approve", "REQ-1:0"), ("selfserve.reject", "REQ-1:0")]


async def test_a_refused_click_in_the_home_tab_is_answered_in_a_modal(harness: Harness) -> None:
    await open_homes(harness, "U0HR2")
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    tampered = await harness.slack.click(home(harness, "U0HR2"), "selfserve.approve", user_id="U0HR2",
                                         value="REQ-1:1")  # not this step
    assert tampered.status == 200
    await harness.settle()
    [notice] = [c for c in harness.stub.calls_to("views.open") if c.args["view"]["callback_id"] == "selfserve.notice"]
    assert notice.ok and "only members of the *it* role" in json.dumps(notice.args["view"])
    assert await status_of(harness, "REQ-1") == "pending"


async def test_the_start_button_in_the_home_tab_opens_the_form(harness: Harness) -> None:
    await harness.slack.app_home_opened("U0HR1")
    await harness.settle()
    await harness.slack.click(home(harness, "U0HR1"), "selfserve.open_form", user_id="U0HR1", value="new-employee")
    [opened] = await harness.stub.wait_for("views.open")
    assert opened.ok and opened.response["view"]["callback_id"] == "selfserve.request_form"


async def test_the_shortcut_opens_a_picker_that_pushes_the_chosen_form(harness: Harness) -> None:
    response = await harness.slack.shortcut("selfserve.shortcut", user_id="U0EMPLOYEE")
    assert response.status == 200
    [opened] = await harness.stub.wait_for("views.open")
    picker = opened.response["view"]
    assert picker["callback_id"] == "selfserve.picker"
    assert [value for _, value in actions(picker)] == ["access-request", "lunch-order", "self-service"]

    await harness.slack.click(picker, "selfserve.pick_action", user_id="U0EMPLOYEE", value="lunch-order")
    [pushed] = await harness.stub.wait_for("views.push")
    form = pushed.response["view"]
    assert pushed.ok and form["callback_id"] == "selfserve.request_form" and form["previous_view_id"] == picker["id"]
    assert (await harness.slack.submit_view(form, user_id="U0EMPLOYEE", values={"dish": "Pho"})).status == 200
    await harness.settle()
    assert await status_of(harness, "REQ-1") == "approved"
    assert "REQ-1" in harness.dms("U0EMPLOYEE")[0]["text"]

    assert picker["id"] not in harness.stub.views and form["id"] not in harness.stub.views  # the stack closed

    # a picker opened again stays open; meanwhile lunch is restricted to hr
    await harness.slack.shortcut("selfserve.shortcut", user_id="U0EMPLOYEE")
    picker = (await harness.stub.wait_for("views.open", count=2))[-1].response["view"]
    restricted = E2E_CATALOG.read_text().replace("    title: Order team lunch\n",
                                                 "    title: Order team lunch\n    requesters: [hr]\n")
    harness.catalog = parse_catalog(restricted)
    stale = await harness.slack.click(picker, "selfserve.pick_action", user_id="U0EMPLOYEE", value="lunch-order")
    assert stale.status == 200
    await harness.settle()
    refusal = harness.stub.calls_to("views.push")[-1]
    assert refusal.args["view"]["callback_id"] == "selfserve.notice" and "not allowed" in json.dumps(refusal.args)
    events = [(e.kind, e.outcome) for e in await harness.audit_events()]
    assert ("command", "ok") in events and ("open_form", "refused") in events


async def test_changes_within_a_second_publish_each_home_once(harness: Harness,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(surfaces, "HOME_REFRESH_BATCH", timedelta(seconds=1))  # as deployed
    await open_homes(harness, "U0EMPLOYEE", "U0SEC1", "U0SEC2", "U0SEC3")
    harness.stub.clear_calls()
    for why in ("one", "two", "three"):
        await harness.submit("U0EMPLOYEE", "access-request", {"system": "Billing", "why": why})
    await harness.finish_jobs()  # the runner's own loop performs them when they come due
    published = [c.args["user_id"] for c in harness.stub.calls_to("views.publish")]
    for user_id in ("U0EMPLOYEE", "U0SEC1", "U0SEC2", "U0SEC3"):
        assert 1 <= published.count(user_id) <= 2  # once, or twice if the second ended between submissions
    assert len(published) < 3 * 4
    assert [v for a, v in actions(home(harness, "U0EMPLOYEE")) if a == "selfserve.cancel"] == ["REQ-3", "REQ-2",
                                                                                                 "REQ-1"]
