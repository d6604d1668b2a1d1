"""Each DM is posted once, even when Slack stores a post and then answers an error, or the
process loses what it posted before recording it: a retry finds the earlier message by the
job key in its metadata and updates it, so nobody sees a decided request with live buttons."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from domain.job_runner import JobRunner
from domain.jobs import Done
from domain.ports import UnitOfWork
from tests.harness import Harness
from tests.test_e2e_approval_flow import GOOD, approval_dm, buttons


def posts(harness: Harness) -> list[Any]:
    return list(harness.stub.calls_to("chat.postMessage"))


async def decide_and_check(harness: Harness) -> None:
    """One DM each; the approver's is updated in place when the request is decided."""
    assert len(harness.dms("U0HR1")) == 1 and len(harness.dms("U0HR2")) == 1
    dm = await approval_dm(harness, "U0HR2")
    assert buttons(dm) == ["selfserve.approve", "selfserve.reject", "selfserve.delegate"]
    await harness.slack.click(dm, "selfserve.approve", user_id="U0HR2")
    await harness.finish_jobs()
    dm = await approval_dm(harness, "U0HR2")
    assert buttons(dm) == [] and "Approved by" in json.dumps(dm)


@pytest.mark.parametrize("fault", ["error_after_storing", "connection_dropped_after_storing"])
async def test_a_post_slack_stored_before_failing_is_not_repeated(harness: Harness, fault: str) -> None:
    if fault == "error_after_storing":
        harness.stub.fail_next("chat.postMessage", "internal_error", status=500, times=2, applied=True)
    else:
        harness.stub.drop_next("chat.postMessage", times=2, applied=True)
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.finish_jobs()
    assert len(posts(harness)) == 2  # each failed post was found again by its key, not repeated
    assert len(harness.stub.calls_to("conversations.history")) == 2
    await decide_and_check(harness)
    sent = [json.loads(e.details) for e in await harness.audit_events() if e.kind == "message_sent"]
    assert len(sent) == len(posts(harness))  # each post recorded once, the two found again included
    assert len({(d["channel"], d["ts"]) for d in sent}) == len(sent)


async def test_posts_lost_before_they_were_recorded_are_found_after_the_lease(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the process died between Slack's answer and the commit of the outcome."""
    original = JobRunner._write_outcomes
    crashes = {"left": 2}

    async def crash_first(self: JobRunner, uow: UnitOfWork, recorded: Sequence[Any]) -> None:
        if crashes["left"] and any(isinstance(r.outcome, Done) and r.outcome.messages for r in recorded):
            crashes["left"] -= 1
            raise ConnectionResetError("the process is gone")
        await original(self, uow, recorded)

    monkeypatch.setattr(JobRunner, "_write_outcomes", crash_first)
    await harness.restart()  # the runner binds its recorder at start
    harness.runtime.deps.jobs.lease = timedelta(seconds=1)
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.finish_jobs()
    assert crashes["left"] == 0
    assert len(posts(harness)) == 2 and len(harness.stub.calls_to("chat.update")) >= 1
    await decide_and_check(harness)


async def test_a_malformed_job_fails_alone_and_the_rest_of_its_request_still_runs(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    async with harness.runtime.database.unit_of_work() as uow:
        uow.enqueue("dm.approver.ask", 1, {"step": 0})  # no approver: written by a buggy version, say
        uow.enqueue("dm.approver.ask", 1, {"step": 0, "approver": "U0IT1"})
    await harness.settle()
    assert [m for m in harness.dms("U0IT1") if "Approval needed" in m.get("text", "")]
    failed = [e for e in await harness.audit_events() if e.kind == "job_failed"]
    assert len(failed) == 1 and "KeyError" in failed[0].details
