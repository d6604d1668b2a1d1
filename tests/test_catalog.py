from __future__ import annotations

import hashlib
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from domain.catalog import (
    RESERVED_SUBCOMMANDS,
    Action,
    ApprovalStep,
    Catalog,
    CatalogError,
    Field,
    FieldType,
    Problem,
    load_catalog,
    parse_catalog,
)

SAMPLE = Path(__file__).resolve().parent.parent / "catalog.yaml"

# Line 1 is the empty line after the opening quotes; the action starts on line 5.
VALID = """
roles:
  hr: {members: [U0HR1, U0HR2]}
actions:
  onboard:
    title: Onboard
    fields:
      - {id: name, label: Name, type: text}
"""


def problems(text: str, filename: str = "catalog.yaml") -> list[str]:
    """Every rendered problem for ``text``, which must not be a valid catalog."""
    with pytest.raises(CatalogError) as caught:
        parse_catalog(textwrap.dedent(text), filename)
    return [str(problem) for problem in caught.value.problems]


def with_fields(*lines: str) -> str:
    """The valid catalog with extra field lines appended; the first lands on line 9."""
    return VALID + "".join(f"      - {line}\n" for line in lines)


# --- the shipped sample -------------------------------------------------------------------


def test_sample_catalog_loads_with_expected_contents() -> None:
    catalog = load_catalog(SAMPLE)

    assert list(catalog.roles) == ["hr", "it", "security", "finance", "managers", "admins", "support"]
    assert list(catalog.actions) == [
        "new-employee",
        "password-reset",
        "software-install",
        "laptop-order",
        "access-request",
    ]
    assert catalog.settings.support_channel == "C0SUPPORT"
    assert catalog.settings.support == "support" and catalog.members_of("support") == {"U0SUP1", "U0SUP2"}
    assert catalog.fingerprint == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    assert catalog.members_of("hr") == frozenset({"U0HR1", "U0HR2"})
    assert catalog.roles["admins"].name == "admins"


def test_sample_new_employee_action() -> None:
    action = load_catalog(SAMPLE).actions["new-employee"]

    assert action.id == "new-employee"
    assert action.title == "Onboard a new employee"
    assert action.requesters == ("hr",)
    assert [field.type for field in action.fields] == [
        FieldType.TEXT,
        FieldType.EMAIL,
        FieldType.DATE,
        FieldType.SELECT,
        FieldType.USER,
        FieldType.CHECKBOXES,
        FieldType.TEXTAREA,
    ]
    assert action.field("equipment").default == ("Laptop",)
    assert [choice.value for choice in action.field("department").options] == ["Engineering", "Sales", "Finance"]
    assert action.field("notes").required is False
    assert action.approvals == (ApprovalStep(role="hr"), ApprovalStep(role="it", min_approvals=1))
    assert action.allow_self_approval is False


def test_sample_other_actions() -> None:
    actions = load_catalog(SAMPLE).actions

    assert actions["password-reset"].requesters is None
    assert actions["software-install"].field("license_url").required is False
    software = actions["software-install"].approvals
    assert (software[0].approver_field, software[1].role) == ("manager", "it")
    assert software[1].auto_approve is not None and software[1].auto_approve.at_most == 0
    laptops = actions["laptop-order"]
    assert laptops.field("old_device").show_if is not None and laptops.field("model").type is FieldType.RADIO
    assert laptops.approvals[1].any_of == ("finance", "admins")
    quantity = actions["laptop-order"].field("quantity")
    assert (quantity.min, quantity.max, quantity.decimals) == (1, 20, 0)
    assert actions["laptop-order"].field("cost_center").pattern == r"^CC-\d{4}$"
    assert actions["access-request"].approvals == (ApprovalStep(role="security", min_approvals=2),)
    access = actions["access-request"].fulfilment
    assert access.expires_after == timedelta(hours=8) and access.warn_before == timedelta(minutes=30)
    assert [step.kind for step in access.on_approved] == ["webhook", "message"]
    assert [step.label for step in access.on_expired] == ["Revoke the access", "Post in <#C0SECURITY>"]


# --- single mistakes, each with its exact report -------------------------------------------

MISTAKES = {
    "unknown field type": (
        with_fields("{id: email, label: Work email, type: emial}"),
        "catalog.yaml:9: actions.onboard.fields[1].type: unknown type 'emial' "
        "(expected one of: text, textarea, email, url, number, date, time, datetime, select, multi_select, "
        "user, users, channel, checkbox, checkboxes, radio)",
    ),
    "unknown top-level key": (
        VALID + "groups: {}\n",
        "catalog.yaml:9: groups: unknown key (expected one of: settings, people, roles, actions)",
    ),
    "missing required key": (
        VALID.replace("    title: Onboard\n", ""),
        "catalog.yaml:5: actions.onboard: missing required key 'title'",
    ),
    "wrong scalar type": (
        with_fields('{id: email, label: Email, type: text, max_length: "80"}'),
        "catalog.yaml:9: actions.onboard.fields[1].max_length: expected an integer, got a string",
    ),
    "unquoted boolean where text is expected": (
        with_fields("{id: agree, label: Agree, type: select, options: [Yes, Later]}"),
        "catalog.yaml:9: actions.onboard.fields[1].options[0]: "
        "expected a string, got a boolean (put the value in quotes)",
    ),
    "wrong collection type": (
        VALID.replace("[U0HR1, U0HR2]", "U0HR1"),
        "catalog.yaml:3: roles.hr.members: expected a list, got a string",
    ),
    "duplicate field id": (
        with_fields("{id: name, label: Other name, type: text}"),
        "catalog.yaml:9: actions.onboard.fields[1].id: duplicate field id 'name' (already at fields[0])",
    ),
    "duplicate option": (
        with_fields("{id: team, label: Team, type: select, options: [Sales, Ops, Sales]}"),
        "catalog.yaml:9: actions.onboard.fields[1].options[2]: "
        "duplicate option 'Sales' (already at options[0])",
    ),
    "select without options": (
        with_fields("{id: team, label: Team, type: select, options: []}"),
        "catalog.yaml:9: actions.onboard.fields[1].options: a select field needs at least one option",
    ),
    "key not allowed for the type": (
        with_fields("{id: team, label: Team, type: text, options: [Sales]}"),
        "catalog.yaml:9: actions.onboard.fields[1].options: not allowed for type 'text'",
    ),
    "min greater than max": (
        with_fields("{id: count, label: Count, type: number, min: 10, max: 2.5}"),
        "catalog.yaml:9: actions.onboard.fields[1].min: min (10) is greater than max (2.5)",
    ),
    "min_length greater than max_length": (
        with_fields("{id: code, label: Code, type: text, min_length: 8, max_length: 4}"),
        "catalog.yaml:9: actions.onboard.fields[1].min_length: min_length (8) is greater than max_length (4)",
    ),
    "invalid regex": (
        with_fields("{id: code, label: Code, type: text, pattern: '[A-Z'}"),
        "catalog.yaml:9: actions.onboard.fields[1].pattern: "
        "invalid regular expression: unterminated character set at position 0",
    ),
    "pattern_message without pattern": (
        with_fields("{id: code, label: Code, type: text, pattern_message: Use CC-1234}"),
        "catalog.yaml:9: actions.onboard.fields[1].pattern_message: has no effect without 'pattern'",
    ),
    "bad field id": (
        with_fields("{id: Start Date, label: Start, type: date}"),
        "catalog.yaml:9: actions.onboard.fields[1].id: invalid field id 'Start Date' "
        "(lowercase letters, digits and '_', starting with a letter, at most 50 characters)",
    ),
    "bad action slug": (
        VALID.replace("  onboard:", "  Onboard_Now:"),
        "catalog.yaml:5: actions.Onboard_Now: invalid action id 'Onboard_Now' "
        "(lowercase letters, digits and '-', starting with a letter, at most 40 characters)",
    ),
    "reserved action id": (
        VALID.replace("  onboard:", "  status:"),
        "catalog.yaml:5: actions.status: 'status' is a built-in subcommand; choose another action id",
    ),
    "unknown requester role with suggestion": (
        VALID + "    requesters: [hrr]\n",
        "catalog.yaml:9: actions.onboard.requesters[0]: unknown role 'hrr' (did you mean 'hr'?)",
    ),
    "unknown approval role": (
        VALID + "    approvals:\n      - {role: legal}\n",
        "catalog.yaml:10: actions.onboard.approvals[0].role: unknown role 'legal' (expected one of: hr)",
    ),
    "unsatisfiable approval step": (
        VALID + "    approvals:\n      - {role: hr, min_approvals: 3}\n",
        "catalog.yaml:10: actions.onboard.approvals[0].min_approvals: "
        "needs 3 approvals but role 'hr' has only 2 members",
    ),
    "zero approvals": (
        VALID + "    approvals:\n      - {role: hr, min_approvals: 0}\n",
        "catalog.yaml:10: actions.onboard.approvals[0].min_approvals: must be at least 1",
    ),
    "empty requesters": (
        VALID + "    requesters: []\n",
        "catalog.yaml:9: actions.onboard.requesters: must not be empty",
    ),
    "bad user id": (
        VALID.replace("U0HR2", "bob"),
        "catalog.yaml:3: roles.hr.members[1]: invalid Slack user id 'bob' (expected an id like U012AB3CD)",
    ),
    "duplicate member": (
        VALID.replace("U0HR2", "U0HR1"),
        "catalog.yaml:3: roles.hr.members[1]: duplicate member 'U0HR1' (already at members[0])",
    ),
    "bad role name": (
        VALID.replace("  hr:", "  HR Team:"),
        "catalog.yaml:3: roles.HR Team: invalid role name 'HR Team' "
        "(lowercase letters, digits, '_' and '-', starting with a letter, at most 40 characters)",
    ),
    "bad support channel": (
        "settings: {support_channel: '#help'}" + VALID,
        "catalog.yaml:1: settings.support_channel: invalid Slack channel id '#help' "
        "(expected an id like C012AB3CD)",
    ),
    "support channel without a support role": (
        "settings: {support_channel: C0HELP}" + VALID,
        "catalog.yaml:1: settings.support_channel: escalations need a support role: define a role 'support' "
        "or name one in settings.support_role",
    ),
    "unknown support role": (
        "settings: {support_channel: C0HELP, support_role: helpdesk}" + VALID,
        "catalog.yaml:1: settings.support_role: unknown role 'helpdesk' (expected one of: hr)",
    ),
    "new reserved action id": (
        VALID.replace("  onboard:", "  queue:"),
        "catalog.yaml:5: actions.queue: 'queue' is a built-in subcommand; choose another action id",
    ),
    "no actions": (
        "roles: {}\nactions: {}\n",
        "catalog.yaml:2: actions: must not be empty",
    ),
    "empty label": (
        with_fields("{id: email, label: '  ', type: email}"),
        "catalog.yaml:9: actions.onboard.fields[1].label: must not be empty",
    ),
    "too long title": (
        VALID.replace("title: Onboard", "title: " + "x" * 201),
        "catalog.yaml:6: actions.onboard.title: must be at most 200 characters (got 201)",
    ),
    "field list is a string": (
        with_fields("just a name"),
        "catalog.yaml:9: actions.onboard.fields[1]: expected a mapping, got a string",
    ),
    "infinite bound": (
        with_fields("{id: count, label: Count, type: number, max: .inf}"),
        "catalog.yaml:9: actions.onboard.fields[1].max: expected a finite number",
    ),
    "default not among the options": (
        with_fields("{id: kind, label: Kind, type: select, options: [Laptop, Phone], default: Tablet}"),
        "catalog.yaml:9: actions.onboard.fields[1].default: 'Tablet' is not a valid value: "
        "Choose one of the listed options.",
    ),
    "fractional default of an integer field": (
        with_fields("{id: seats, label: Seats, type: number, integer: true, default: 2.5}"),
        "catalog.yaml:9: actions.onboard.fields[1].default: 2.5 is not a valid value: "
        "Enter a whole number, like 12.",
    ),
    "default of the wrong type": (
        with_fields("{id: agree, label: I agree, type: checkbox, default: 'yes'}"),
        "catalog.yaml:9: actions.onboard.fields[1].default: not a valid default for a checkbox field",
    ),
    "default date that does not exist": (
        with_fields("{id: start, label: Start, type: date, default: '2026-02-30'}"),
        "catalog.yaml:9: actions.onboard.fields[1].default: '2026-02-30' is not a valid value: "
        "That date doesn't exist; check the day and month.",
    ),
    "integer with decimals": (
        with_fields("{id: seats, label: Seats, type: number, integer: true, decimals: 2}"),
        "catalog.yaml:9: actions.onboard.fields[1].integer: an integer field cannot have decimals (2)",
    ),
    "show_if naming an unknown field": (
        with_fields("{id: model, label: Model, type: text, show_if: {field: kind, equals: hardware}}"),
        "catalog.yaml:9: actions.onboard.fields[1].show_if.field: 'kind' is not a field of this action "
        "(a field can only depend on one above it)",
    ),
    "show_if naming a later field": (
        with_fields("{id: model, label: Model, type: text, show_if: {field: kind, equals: hardware}}",
                    "{id: kind, label: Kind, type: select, options: [hardware, software]}"),
        "catalog.yaml:9: actions.onboard.fields[1].show_if.field: 'kind' is not an earlier field of this "
        "action (a field can only depend on one above it)",
    ),
    "show_if value the field cannot have": (
        with_fields("{id: kind, label: Kind, type: select, options: [hardware, software]}",
                    "{id: model, label: Model, type: text, show_if: {field: kind, equals: hardwear}}"),
        "catalog.yaml:10: actions.onboard.fields[2].show_if.equals: 'hardwear' is not an option of 'kind' "
        "(options: hardware, software)",
    ),
    "too many radio buttons": (
        with_fields("{id: size, label: Size, type: radio, options: [a, b, c, d, e, f, g, h, i, j, k]}"),
        "catalog.yaml:9: actions.onboard.fields[1].options: Slack shows at most 10 radio options, got 11 "
        "(use a select for longer lists)",
    ),
    "option label too long for Slack": (
        with_fields("{id: kind, label: Kind, type: select, options: [{value: a, label: " + "x" * 76 + "}]}"),
        "catalog.yaml:9: actions.onboard.fields[1].options[0].label: must be at most 75 characters (got 76)",
    ),
}


@pytest.mark.parametrize(("text", "expected"), MISTAKES.values(), ids=MISTAKES.keys())
def test_each_mistake_is_reported_precisely(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_misspelled_key_is_reported_with_the_key_it_leaves_missing() -> None:
    assert problems(with_fields("{id: email, lable: Work email, type: email}")) == [
        "catalog.yaml:9: actions.onboard.fields[1]: missing required key 'label'",
        "catalog.yaml:9: actions.onboard.fields[1].lable: unknown key (did you mean 'label'?)",
    ]


def test_too_many_fields() -> None:
    fields = [f"{{id: f{index}, label: F, type: text}}" for index in range(50)]

    assert problems(with_fields(*fields)) == [
        "catalog.yaml:7: actions.onboard.fields: expected at most 50 items, got 51"
    ]


def test_all_problems_are_collected_and_sorted_by_line() -> None:
    text = """
    actions:
      help:
        title: Help
        requesters: [it]
        fields:
          - {id: a, label: A, type: number, min: 3, max: 1}
          - {id: a, label: B, type: url, placeholder: 5}
    roles:
      it: {members: [U0IT1], extra: true}
    """

    assert problems(text) == [
        "catalog.yaml:3: actions.help: 'help' is a built-in subcommand; choose another action id",
        "catalog.yaml:7: actions.help.fields[0].min: min (3) is greater than max (1)",
        "catalog.yaml:8: actions.help.fields[1].placeholder: "
        "expected a string, got an integer (put the value in quotes)",
        "catalog.yaml:10: roles.it.extra: unknown key (expected one of: members, usergroups)",
    ]


def test_role_references_are_checked_even_when_roles_are_broken() -> None:
    text = VALID.replace("[U0HR1, U0HR2]", "[U0HR1, nobody]") + "    requesters: [hr, hrs]\n"

    assert problems(text) == [
        "catalog.yaml:3: roles.hr.members[1]: invalid Slack user id 'nobody' (expected an id like U012AB3CD)",
        "catalog.yaml:9: actions.onboard.requesters[1]: unknown role 'hrs' (did you mean 'hr'?)",
    ]


def test_duplicate_yaml_keys_are_reported_at_the_second_occurrence() -> None:
    text = VALID.replace("    title: Onboard\n", "    title: Onboard\n    title: Hire\n") + "roles: {}\n"

    assert problems(text) == [
        "catalog.yaml:7: actions.onboard.title: duplicate key (first defined on line 6)",
        "catalog.yaml:10: roles: duplicate key (first defined on line 2)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            VALID + "      - {id: other, label: Other\n",
            "catalog.yaml:10: invalid YAML: while parsing a flow mapping on line 9, "
            "expected ',' or '}', but got '<stream end>'",
        ),
        (
            VALID.replace("    fields:", "    fields: x\n     bad: 1"),
            "catalog.yaml:8: invalid YAML: mapping values are not allowed here",
        ),
        (
            VALID.replace("Onboard", "On\x00board"),
            "catalog.yaml:6: invalid YAML: unacceptable character #x0000: special characters are not allowed",
        ),
    ],
)
def test_yaml_syntax_errors_report_their_line(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_yaml_features_we_do_not_support() -> None:
    text = VALID + "base: &base {members: [U0IT1]}\nextra:\n  <<: *base\n  other: !secret value\n"

    assert problems(text) == [
        "catalog.yaml:9: base: unknown key (expected one of: settings, people, roles, actions)",
        "catalog.yaml:10: extra: unknown key (expected one of: settings, people, roles, actions)",
        "catalog.yaml:11: extra: YAML merge keys ('<<') are not supported; write the keys out",
        "catalog.yaml:12: extra.other: unsupported YAML tag '!secret'",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "catalog.yaml:1: the file is empty (a catalog needs 'roles' and 'actions')"),
        ("# nothing yet\n", "catalog.yaml:1: the file is empty (a catalog needs 'roles' and 'actions')"),
        ("- onboard\n", "catalog.yaml:1: expected a mapping, got a list"),
    ],
)
def test_documents_that_are_not_catalogs(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_missing_top_level_sections_point_at_the_document() -> None:
    assert problems("settings: {}\n") == [
        "catalog.yaml:1: missing required key 'roles'",
        "catalog.yaml:1: missing required key 'actions'",
    ]


# --- files --------------------------------------------------------------------------------


def test_load_catalog_reads_a_file_and_names_it_in_problems(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(VALID, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(VALID.replace("type: text", "type: txt"), encoding="utf-8")

    assert list(load_catalog(good).actions) == ["onboard"]
    with pytest.raises(CatalogError) as caught:
        load_catalog(str(bad))
    assert str(caught.value) == (
        f"{bad}:8: actions.onboard.fields[0].type: unknown type 'txt' "
        "(expected one of: text, textarea, email, url, number, date, time, datetime, select, multi_select, "
        "user, users, channel, checkbox, checkboxes, radio)"
    )


def test_load_catalog_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"

    with pytest.raises(CatalogError) as caught:
        load_catalog(missing)

    assert caught.value.problems == [
        Problem(str(missing), 0, "", "cannot read file (No such file or directory)")
    ]
    assert str(caught.value) == f"{missing}: cannot read file (No such file or directory)"


def test_catalog_error_joins_problems_by_line() -> None:
    error = CatalogError([Problem("c.yaml", 1, "roles", "a"), Problem("c.yaml", 2, "", "b")])

    assert str(error) == "c.yaml:1: roles: a\nc.yaml:2: b"


# --- the objects --------------------------------------------------------------------------


def test_fingerprint_tracks_the_source_text() -> None:
    first = parse_catalog(VALID)

    assert first.fingerprint == parse_catalog(VALID).fingerprint
    assert first.fingerprint != parse_catalog(VALID + "# edited\n").fingerprint


def test_catalog_objects_are_immutable() -> None:
    catalog = parse_catalog(VALID)

    with pytest.raises(ValidationError):
        catalog.actions["onboard"].title = "Changed"  # the frozen model must refuse


def test_defaults_and_lookups() -> None:
    catalog: Catalog = parse_catalog(VALID)
    action = catalog.actions["onboard"]
    field = action.field("name")

    assert (action.description, action.requesters, action.approvals) == (None, None, ())
    assert (field.required, field.placeholder, field.min, field.options) == (True, None, None, ())
    assert catalog.members_of("nobody") == frozenset()
    with pytest.raises(KeyError):
        action.field("nope")


def test_models_can_be_built_in_code() -> None:
    field = Field(id="email", label="Email", type=FieldType.EMAIL)
    action = Action(id="ask", title="Ask", fields=(field,), approvals=(ApprovalStep(role="anyone"),))

    assert action.field("email") is field
    assert "help" in RESERVED_SUBCOMMANDS
