"""What following requests looks like in Slack: user text escaped, steps and rules shown, and a
Home tab that stays within Slack's limits however much there is to show."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from slack_sdk.models.views import View

from bot.messages.home import home_view
from bot.messages.tracking import pending_list, request_list, status_message
from domain.catalog import parse_catalog
from domain.escalation_records import EscalationRecord
from domain.fulfilment_records import StepRecord
from domain.records import Answer, DecisionRecord, RequestRecord, Step
from domain.routing import AUTO_APPROVER
from domain.service_levels import Standing
from domain.tracking import HOME_ESCALATIONS, HOME_LIMIT, IN_PROGRESS_LIMIT, LIST_LIMIT, Home, RequestStatus
from slackstub.view_validation import MAX_VIEW_BLOCKS, validate_home_view

MOMENT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
REQUEST = RequestRecord(7, "buy", "Buy <b>things</b> & more", "U0EMP", "pending", 1,
                        (Step("finance", 1, ("finance",), (), {"field": "amount", "at_most": 100}),
                         Step("hr or it", 2, ("hr", "it"))),
                        False, (Answer("amount", "Amount <!here>", 50, "number"),), MOMENT, MOMENT, None)


def text_of(blocks: object) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_status_shows_rules_verdicts_and_who_is_waited_on_with_user_text_escaped() -> None:
    decisions = [DecisionRecord(7, 0, AUTO_APPROVER, "approve", "Amount is 50, at most 100", MOMENT),
                 DecisionRecord(7, 1, "U0HR1", "approve", None, MOMENT)]
    message = status_message(RequestStatus(REQUEST, decisions, ("U0IT1",)), "U0IT1")
    text = text_of(message.blocks_json())
    assert "Buy &lt;b&gt;things&lt;/b&gt; &amp; more" in text and "<b>" not in text
    assert "Amount &lt;!here&gt;" in text and "<!here>" not in text
    assert "1. *finance*: :white_check_mark: approved by _an automatic rule_ (Amount is 50, at most 100)" in text
    assert "2. *hr or it*: :white_check_mark: approved by <@U0HR1> <!date^1796117400^" in text
    assert "waiting for 1 approval from <@U0IT1>" in text
    assert [e["action_id"] for b in message.blocks_json() if b["type"] == "actions" for e in b["elements"]] == [
        "selfserve.approve", "selfserve.reject"]
    cancelled = replace(REQUEST, status="cancelled", decided_at=MOMENT)
    text = text_of(status_message(RequestStatus(cancelled, decisions, ()), "U0EMP").blocks_json())
    assert ":no_entry_sign: *Cancelled* by <@U0EMP>" in text and "selfserve.cancel" not in text


def test_lists_escape_titles_and_fit_in_a_message() -> None:
    many = [replace(REQUEST, id=n) for n in range(1, LIST_LIMIT + 1)]
    for message in (request_list(many, "Yours:", "none"), pending_list(many)):
        assert len(message.blocks) <= 50 and "<b>" not in text_of(message.blocks_json())


def test_the_home_tab_stays_within_slacks_limits_when_everything_is_full() -> None:
    actions = "\n".join(f"  a{n}: {{title: Action {n}, fields: [{{id: x, label: X, type: text}}]}}" for n in range(120))
    catalog = parse_catalog(f"roles:\n  hr: {{members: [U0HR1]}}\nactions:\n{actions}\n")
    full = [replace(REQUEST, id=n) for n in range(1, HOME_LIMIT + 1)]
    view = home_view(Home(list(catalog.actions.values()), full, full))
    assert len(view["blocks"]) <= MAX_VIEW_BLOCKS
    validate_home_view(view)  # as views.publish checks it
    assert "Also, with `/selfserve <id>`: `a40`, `a41`" in text_of(view["blocks"])  # the rest named


def test_a_support_persons_full_home_caps_each_section_and_names_the_command_for_the_rest() -> None:
    """Open escalations, approvals waiting, open requests and requests being carried out, each as
    many as the Home reads, every row at its largest (a clock under it, both phases of steps)."""
    actions = "\n".join(f"  a{n}: {{title: Action {n}, fields: [{{id: x, label: X, type: text}}]}}" for n in range(60))
    catalog = parse_catalog(f"roles:\n  hr: {{members: [U0HR1]}}\nactions:\n{actions}\n")
    full = [replace(REQUEST, id=n) for n in range(1, HOME_LIMIT + 1)]
    clocks = {r.id: [Standing("request", None, MOMENT, timedelta(hours=-2), True),
                     Standing("step", 1, MOMENT, timedelta(hours=1), False)] for r in full}
    going = [replace(REQUEST, id=100 + n, status="failed") for n in range(IN_PROGRESS_LIMIT)]
    steps = {r.id: [StepRecord(r.id, phase, i, "webhook", f"Call {i}", "failed", 3, {"status": 500, "error": "x" * 400},
                               None, MOMENT) for phase in ("approved", "expired") for i in range(3)] for r in going}
    open_ones = [EscalationRecord(n, n, "U0EMP", None, "asked for help", "w" * 2000, "open", None, None, (), MOMENT,
                                  MOMENT, None) for n in range(1, HOME_ESCALATIONS + 1)]
    view = home_view(Home(list(catalog.actions.values()), full, full, clocks, going, steps, open_ones))
    assert len(view["blocks"]) <= MAX_VIEW_BLOCKS
    validate_home_view(view)  # as views.publish checks it
    View(**view).to_dict()  # and as slack_sdk's builders check Slack's limits
    text = text_of(view["blocks"])
    assert "and at least 2 more — `/selfserve queue`" in text and "and at least 5 more — `/selfserve pending`" in text
    assert "and at least 5 more — `/selfserve mine`" in text and "and at least 2 more — `/selfserve mine`" in text
    assert text.count("*ESC-") == 8 and "Start a request" in text
    fewer = text_of(home_view(Home([], full[:12], full[:3], {}, going[:1], steps, open_ones[:2]))["blocks"])
    assert "and 2 more — `/selfserve mine`" in fewer  # all were read: the count is exact
    assert fewer.count(" more — `/selfserve") == 1  # nothing else left out, nothing else said
