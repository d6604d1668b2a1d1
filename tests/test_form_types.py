"""The newer field types, defaults, fields shown only for some answers, and command prefill."""

from __future__ import annotations

from typing import Any

import pytest

from domain.catalog import Action, Field, FieldType, parse_catalog
from domain.forms import FieldErrors, Raw, initial_values, validate_submission, visible_fields
from domain.prefill import parse_prefill

KINDS = [{"value": "hw", "label": "Hardware"}, {"value": "sw", "label": "Software"}]


def one(kind: FieldType, **options: Any) -> Action:
    return Action(id="test", title="Test", fields=(Field(id="value", label="Value", type=kind, **options),))


def cleaned(action: Action, value: Raw) -> object:
    return validate_submission(action, {"value": value})["value"]


def error(action: Action, value: Raw) -> str:
    with pytest.raises(FieldErrors) as caught:
        validate_submission(action, {"value": value})
    return caught.value.errors["value"]


@pytest.mark.parametrize(("kind", "options", "value", "expected"), [
    (FieldType.TIME, {}, "09:30", "09:30"),
    (FieldType.DATETIME, {}, "1764581400", "2025-12-01T09:30:00Z"),
    (FieldType.DATETIME, {}, "2025-12-01T10:30:00+01:00", "2025-12-01T09:30:00Z"),
    (FieldType.USER, {}, "U0HR1", "U0HR1"),
    (FieldType.USERS, {}, ["U0HR1", "U0IT1", "U0HR1"], ["U0HR1", "U0IT1"]),
    (FieldType.CHANNEL, {}, "C0SUPPORT", "C0SUPPORT"),
    (FieldType.CHECKBOX, {}, ["true"], True),
    (FieldType.CHECKBOXES, {"options": KINDS}, ["sw", "hw"], ["sw", "hw"]),
    (FieldType.MULTI_SELECT, {"options": KINDS}, ["hw"], ["hw"]),
    (FieldType.RADIO, {"options": KINDS}, "sw", "sw"),
    (FieldType.SELECT, {"options": KINDS}, "hw", "hw"),
])
def test_each_type_stores_a_plain_json_value(kind: FieldType, options: dict[str, Any], value: Raw,
                                             expected: object) -> None:
    assert cleaned(one(kind, **options), value) == expected


@pytest.mark.parametrize(("kind", "options", "value", "message"), [
    (FieldType.TIME, {}, "25:00", "Enter a time as HH:MM (24 hours), like 09:30."),
    (FieldType.DATETIME, {}, "2025-12-01T10:30:00", "Pick a date and a time."),
    (FieldType.DATETIME, {}, "9" * 40, "Pick a date and a time."),
    (FieldType.USER, {}, "<@U0HR1>", "Pick a person from the list."),
    (FieldType.USERS, {}, ["U0HR1", "bob"], "Pick people from the list."),
    (FieldType.CHANNEL, {}, "#general", "Pick a channel from the list."),
    (FieldType.CHECKBOX, {}, [], "Tick the box to go on."),
    (FieldType.CHECKBOXES, {"options": KINDS}, ["hw", "firmware"], "Choose one of the listed options."),
    (FieldType.MULTI_SELECT, {"options": KINDS}, ["Hardware"], "Choose one of the listed options."),  # a label
    (FieldType.RADIO, {"options": KINDS}, ["hw", "sw"], "This field is required."),
    (FieldType.USERS, {}, [f"U{n:04d}" for n in range(101)], "Pick at most 100."),
])
def test_each_type_refuses_what_it_cannot_be(kind: FieldType, options: dict[str, Any], value: Raw,
                                             message: str) -> None:
    assert error(one(kind, **options), value) == message


def test_an_optional_checkbox_left_unticked_is_false() -> None:
    assert cleaned(one(FieldType.CHECKBOX, required=False), None) is False


def test_more_than_a_hundred_options_make_an_external_select() -> None:
    many = [f"Office {n}" for n in range(150)]
    assert one(FieldType.SELECT, options=many).fields[0].external
    assert not one(FieldType.SELECT, options=many[:100]).fields[0].external
    assert cleaned(one(FieldType.SELECT, options=many), "Office 149") == "Office 149"


CATALOG = """
roles: {it: {members: [U0IT1]}}
actions:
  laptop-order:
    title: Order a laptop
    fields:
      - {id: kind, label: Kind, type: radio, options: [{value: hw, label: Hardware}, software], default: hw}
      - {id: model, label: Model, type: select, options: [MacBook Pro 14, ThinkPad X1],
         show_if: {field: kind, equals: hw}}
      - {id: gift, label: Gift wrap, type: checkbox, required: false, default: false}
      - {id: note, label: Note, type: text, required: false, show_if: {field: gift, equals: true}}
      - {id: seats, label: Seats, type: number, integer: true, min: 1, max: 20, default: 1}
      - {id: start, label: Start, type: date, default: 2026-12-01}
      - {id: watchers, label: Watchers, type: users, required: false, default: [U0IT1]}
      - {id: reason, label: Reason, type: text}
"""


@pytest.fixture
def action() -> Action:
    return parse_catalog(CATALOG).actions["laptop-order"]


def test_defaults_become_the_form_s_initial_values(action: Action) -> None:
    assert initial_values(action) == {"kind": "hw", "gift": "", "seats": "1", "start": "2026-12-01",
                                      "watchers": ["U0IT1"]}


def test_a_field_is_shown_and_validated_only_while_its_condition_holds(action: Action) -> None:
    hardware: dict[str, Raw] = {"kind": "hw", "model": "ThinkPad X1", "seats": "2", "start": "2026-12-01",
                                "reason": "new"}
    assert visible_fields(action, hardware) >= {"model"} and "note" not in visible_fields(action, hardware)
    assert validate_submission(action, hardware)["model"] == "ThinkPad X1"
    software = {**hardware, "kind": "software", "model": "not an option, but hidden"}
    assert validate_submission(action, software)["model"] is None  # hidden: neither checked nor kept
    with pytest.raises(FieldErrors) as caught:
        validate_submission(action, {**hardware, "model": None})
    assert caught.value.errors == {"model": "This field is required."}
    noted: dict[str, Raw] = {**hardware, "gift": ["true"], "note": "blue paper"}
    assert validate_submission(action, noted)["note"] == "blue paper"


def test_prefill_takes_valid_values_by_value_or_label_and_names_the_rest(action: Action) -> None:
    values, problems = parse_prefill(
        action, 'kind=Hardware model="macbook pro 14" seats=50 colour=red watchers=U0IT1,U0HR1 reason=replacement')
    assert values == {"kind": "hw", "model": "MacBook Pro 14", "watchers": ["U0IT1", "U0HR1"],
                      "reason": "replacement"}
    assert problems == ["Seats: Must be at most 20.",
                        "'colour' is not a field of this form (its fields: kind, model, gift, note, seats, "
                        "start, watchers, reason)."]
    assert parse_prefill(action, 'model="MacBook') == ({}, ["Couldn't read the values: a quote is not closed."])


def test_actions_with_list_defaults_can_be_cached() -> None:
    """Forms and Home views are cached by action: a list default must not make it unhashable."""
    from pathlib import Path

    from bot.modals.request_form import request_form_json
    from domain.catalog import load_catalog

    shipped = load_catalog(Path(__file__).parent.parent / "catalog.yaml").actions["new-employee"]
    assert shipped.field("equipment").default == ("Laptop",)
    assert request_form_json(shipped)["callback_id"] == "selfserve.request_form"


def test_a_long_list_is_searched_in_one_pass() -> None:
    from domain.forms import matching_options

    field = one(FieldType.SELECT, options=[f"Office {n}" for n in range(5000)]).fields[0]
    found = matching_options(field, "ffice 12")
    assert [c.value for c in found][:3] == ["Office 12", "Office 120", "Office 121"] and len(found) == 100
    assert [c.value for c in matching_options(field, "office 4999")] == ["Office 4999"]


def test_a_moment_at_the_calendar_s_edge_is_refused_not_a_crash() -> None:
    assert error(one(FieldType.DATETIME), "0001-01-01T00:00:00+01:00") == "Pick a date and a time."
