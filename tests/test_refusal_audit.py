"""Every refusal is audited alike (domain.refusals.refusal_entry), whichever handler refused: a click,
a command, a form, a hand-over, an admin command, an absence. Driven through Slack as people do it."""

from __future__ import annotations

import json
from typing import Any

from tests.harness import Harness
from tests.test_e2e_approval_flow import GOOD, approval_dm

OUTSIDER = "U0OUTSIDER"


async def say(harness: Harness, user_id: str, text: str) -> None:
    response = await harness.slack.slash_command(user_id=user_id, command="/selfserve", text=text)
    assert response.status == 200, response.text


async def refusals(harness: Harness) -> list[tuple[str, str | None, dict[str, Any]]]:
    await harness.settle()
    return [(e.kind, e.request_ref, json.loads(e.details)) for e in await harness.audit_events()
            if e.outcome == "refused"]


async def test_each_refusal_has_one_shape_whoever_refuses(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    dm = await approval_dm(harness, "U0HR2")
    await harness.slack.click(dm, "selfserve.approve", user_id=OUTSIDER)
    await harness.slack.click(dm, "selfserve.delegate", user_id="U0HR2")
    [*_, opened] = await harness.stub.wait_for("views.open", count=2)
    await harness.slack.submit_view(opened.response["view"], user_id="U0HR2", values={"to": "U0HR2"})
    for text in ("new-employee", "status REQ-1", "cancel REQ-1", "admin roles", f"away <@{OUTSIDER}>"):
        await say(harness, OUTSIDER, text)

    found = await refusals(harness)
    assert [(kind, ref, details["refused"]) for kind, ref, details in found] == [
        ("decision", "REQ-1", "not_authorized"),
        ("delegated", "REQ-1", "cannot_delegate"),
        ("command", None, "not_authorized"),
        ("command", "REQ-1", "request_not_visible"),
        ("cancel", "REQ-1", "not_your_request"),
        ("roles_listed", None, "not_authorized"),
        ("away_set", None, "cannot_delegate"),
    ]
    for kind, ref, details in found:  # what was asked, then the refusal's facts, never its ref twice
        assert "ref" not in details, (kind, details)
        assert (ref is not None) == ("request" in details), (kind, ref, details)
    assert found[0][2] == {"request": "REQ-1", "step": 0, "verdict": "approve", "refused": "not_authorized",
                           "reason": "not_an_approver", "role": "hr"}
    assert found[-1][2] == {"stand_in": OUTSIDER, "until": None, "refused": "cannot_delegate", "reason": "to_self"}
