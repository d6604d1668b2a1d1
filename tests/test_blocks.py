"""Every view and message the bot builds passes slack_sdk's Block Kit checks (Slack's limits)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.models.blocks import SectionBlock

from bot.messages.approval import approval_message, parse_decision_value
from bot.messages.help import help_message
from bot.messages.requester import decision_update, receipt
from bot.messages.summary import answer_sections, md
from bot.modals.reject_reason import reject_reason_form
from bot.modals.request_form import request_form, submitted_values
from domain.catalog import load_catalog, parse_catalog
from domain.forms import initial_values, visible_fields
from domain.records import Answer, DecisionRecord, RequestRecord, Step

ROOT = Path(__file__).parent.parent
CATALOGS = [ROOT / "catalog.yaml", ROOT / "tests" / "catalog_e2e.yaml", ROOT / "tests" / "catalog_forms.yaml"]
NOW = datetime(2026, 11, 25, tzinfo=UTC)


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.name)
def test_every_actions_modal_passes_block_kit_validation(path: Path) -> None:
    catalog = load_catalog(path)
    for action in catalog.actions.values():
        view = request_form(action).to_dict()
        assert len(view["title"]["text"]) <= 24
        inputs = [b for b in view["blocks"] if b["type"] == "input"]
        shown = visible_fields(action, initial_values(action))
        assert [b["block_id"] for b in inputs] == [f.id for f in action.fields if f.id in shown]


def test_a_maximal_request_renders_within_slack_limits() -> None:
    fields = "\n".join(f"      - {{id: f{n}, label: '{'L' * 1990}', type: textarea}}" for n in range(50))
    catalog = parse_catalog(f"roles:\n  r: {{members: [U0A1]}}\nactions:\n  big:\n    title: '{'T' * 200}'\n"
                            f"    fields:\n{fields}\n    approvals: [{{role: r}}]\n")
    action = catalog.actions["big"]
    request_form(action).to_dict()
    answers = tuple(Answer(f.id, f.label, "<!channel>" * 300) for f in action.fields)
    request = RequestRecord(7, "big", "T" * 200, "U9", "pending", 0, (Step("r", 1),), False, answers, NOW, NOW, None)
    decisions = [DecisionRecord(7, 0, "U1", "reject", "x" * 1000, NOW)]
    for message in (approval_message(request, 0, []), approval_message(request, 0, decisions), receipt(request),
                    decision_update(request, 0, "reject", "U1", decisions)):
        blocks = message.blocks_json()
        assert len(blocks) <= 50 and "<!channel>" not in str(blocks) and "<!channel>" not in message.text
    reject_reason_form("REQ-7", 0, "T" * 200).to_dict()


def test_help_message_fits_any_number_of_actions() -> None:
    actions = "\n".join(f"  a{n}: {{title: A{n}, fields: [{{id: x, label: X, type: text}}]}}" for n in range(80))
    catalog = parse_catalog(f"roles:\n  r: {{members: [U0A1]}}\nactions:\n{actions}\n")
    blocks = help_message(tuple(catalog.actions.values())).blocks_json()
    assert len(blocks) <= 50 and "a79" in str(blocks[-2])


def test_submitted_values_tolerate_any_state_shape() -> None:
    action = load_catalog(CATALOGS[1]).actions["new-employee"]
    assert set(submitted_values(action, {}).values()) == {None}
    hostile = {"state": {"values": {"full_name": "x", "email": {"email": 5}, "department": {"department": {
        "selected_option": "Sales"}}, "start_date": {"start_date": {"selected_date": "2026-12-01"}}}}}
    raw = submitted_values(action, hostile)
    assert raw["full_name"] is None and raw["email"] is None and raw["department"] is None
    assert raw["start_date"] == "2026-12-01"


@pytest.mark.parametrize("value,expected", [("REQ-1:0", ("REQ-1", 0)), ("REQ-1:x", None), (":0", None),
                                            ("REQ-1:99999", None), ("a:b:1", ("a:b", 1))])
def test_decision_button_values_parse_strictly(value: str, expected: tuple[str, int] | None) -> None:
    assert parse_decision_value(value) == expected


def test_answer_sections_are_drawn_once_per_set_of_answers_and_never_mixed_up() -> None:
    ada = [Answer("name", "Name", "Ada <b>"), Answer("who", "Manager", "U0MGR", "user")]
    bob = [Answer("name", "Name", "Bob"), Answer("who", "Manager", "U0MGR", "user")]
    first = [block.to_dict() for block in answer_sections(ada)]
    assert first == [SectionBlock(fields=[md("*Name*\nAda &lt;b&gt;"), md("*Manager*\n<@U0MGR>")]).to_dict()]
    assert [block.to_dict() for block in answer_sections(ada)] == first  # from the cache, the same
    assert "Bob" in str([block.to_dict() for block in answer_sections(bob)])
    eleven = [Answer(f"f{n}", f"F{n}", str(n)) for n in range(11)]
    assert [len(block.to_dict()["fields"]) for block in answer_sections(eleven)] == [10, 1]
