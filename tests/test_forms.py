from __future__ import annotations

import json
from typing import Any

import pytest

from domain.catalog import Action, Field, FieldType
from domain.catalog.fields import CHOICE_TYPES, Choice
from domain.forms import FieldErrors, validate_submission

REQUIRED = "This field is required."
BAD_EMAIL = "Enter a valid email address, like name@example.com."
BAD_URL = "Enter a web address starting with http:// or https://."
BAD_DATE = "Enter a date as YYYY-MM-DD, like 2024-03-31."
CONTROL = "Remove the invisible control characters from this text."


def field(kind: FieldType, **options: Any) -> Field:
    return Field(id="value", label="Value", type=kind, **options)


def clean(field: Field, value: str | None) -> object:
    """The cleaned value of a one-field form."""
    action = Action(id="test", title="Test", fields=(field,))
    return validate_submission(action, {"value": value})["value"]


def error(field: Field, value: str | None) -> str:
    """The message a one-field form shows for ``value``."""
    action = Action(id="test", title="Test", fields=(field,))
    with pytest.raises(FieldErrors) as caught:
        validate_submission(action, {"value": value})
    return caught.value.errors["value"]


# --- required and empty -------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "   ", "\n\t "])
def test_required_field_left_empty(value: str | None) -> None:
    assert error(field(FieldType.TEXT), value) == REQUIRED


@pytest.mark.parametrize("type_", [t for t in FieldType if t is not FieldType.CHECKBOX])
def test_optional_empty_field_is_none(type_: FieldType) -> None:
    options = {"options": ("A",)} if type_ in CHOICE_TYPES else {}
    assert clean(field(type_, required=False, **options), "  ") is None


def test_missing_key_counts_as_empty_and_unknown_keys_are_ignored() -> None:
    action = Action(id="test", title="Test", fields=(field(FieldType.TEXT, required=False),))

    assert validate_submission(action, {"other": "x"}) == {"value": None}


# --- text and textarea --------------------------------------------------------------------


def test_text_is_stripped() -> None:
    assert clean(field(FieldType.TEXT), "  Ada Lovelace \n") == "Ada Lovelace"


def test_textarea_keeps_inner_newlines_and_tabs() -> None:
    assert clean(field(FieldType.TEXTAREA), "\n line one\n\tline two  \n") == "line one\n\tline two"


def test_text_must_be_a_single_line() -> None:
    assert error(field(FieldType.TEXT), "line one\nline two") == "Use a single line, without line breaks."


@pytest.mark.parametrize("value", ["nul\x00byte", "bell\x07", "escape\x1b[31m", "carriage\rreturn"])
@pytest.mark.parametrize("type_", [FieldType.TEXT, FieldType.TEXTAREA])
def test_control_characters_are_rejected(type_: FieldType, value: str) -> None:
    assert error(field(type_), value) == CONTROL


def test_tab_is_a_control_character_in_single_line_text() -> None:
    assert error(field(FieldType.TEXT), "a\tb") == CONTROL


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Must be at least 4 characters."),
        ("abcdefghi", "Must be at most 8 characters."),
    ],
)
def test_text_length_limits(value: str, message: str) -> None:
    assert error(field(FieldType.TEXT, min_length=4, max_length=8), value) == message


def test_length_counts_characters_after_stripping() -> None:
    assert clean(field(FieldType.TEXT, max_length=1), "  é  ") == "é"
    assert error(field(FieldType.TEXT, min_length=1, max_length=1), "ab") == "Must be at most 1 character."


def test_pattern_must_match_the_whole_value() -> None:
    cost_center = field(FieldType.TEXT, pattern=r"CC-\d{4}", pattern_message="Use the format CC-1234.")

    assert clean(cost_center, "CC-1234") == "CC-1234"
    assert error(cost_center, "CC-12345") == "Use the format CC-1234."
    assert error(cost_center, "xCC-1234") == "Use the format CC-1234."


def test_pattern_without_message_uses_a_generic_one() -> None:
    assert error(field(FieldType.TEXT, pattern="[a-z]+"), "ABC") == "Doesn't match the expected format."


def test_huge_input_is_rejected_before_the_pattern_runs() -> None:
    catastrophic = field(FieldType.TEXTAREA, pattern=r"(a+)+$")

    assert error(catastrophic, "a" * 1_000_000 + "!") == "Must be at most 3000 characters."


@pytest.mark.parametrize("type_", [FieldType.EMAIL, FieldType.URL, FieldType.NUMBER, FieldType.DATE])
def test_huge_input_is_rejected_for_every_type(type_: FieldType) -> None:
    assert error(field(type_), "1" * 100_000) == "Must be at most 3000 characters."


# --- email --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [
        ("ada@example.com", "ada@example.com"),
        (" Ada.Lovelace+cal@Mail.Example.ORG ", "Ada.Lovelace+cal@mail.example.org"),
        ("o'brien@sub-domain.example.co.uk", "o'brien@sub-domain.example.co.uk"),
    ],
)
def test_valid_emails(value: str, cleaned: str) -> None:
    assert clean(field(FieldType.EMAIL), value) == cleaned


@pytest.mark.parametrize(
    "value",
    [
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@@example.com",
        "a@b@example.com",
        "ada lovelace@example.com",
        "ada@exa mple.com",
        ".ada@example.com",
        "ada.@example.com",
        "a..da@example.com",
        "ada@-example.com",
        "ada@example..com",
        "ada@example.c0m",
        "a" * 65 + "@example.com",
        "ada@" + "a" * 250 + ".com",
    ],
)
def test_invalid_emails(value: str) -> None:
    assert error(field(FieldType.EMAIL), value) == BAD_EMAIL


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [
        ("ñoño@example.com", "ñoño@example.com"),  # internationalized local part
        ("用户@例子.广告", "用户@例子.广告"),  # ... and domain, top-level domain included
        ("José@BÜCHER.de", "José@bücher.de"),  # the domain is lower-cased, the local part kept
        ("e\u0301@example.com", "\u00e9@example.com"),  # NFC: 'e' + combining accent is stored as one 'é'
        ("a@xn--bcher-kva.de", "a@bücher.de"),  # a punycode domain is stored as it reads
        ("a@example.xn--p1ai", "a@example.рф"),  # a punycode top-level domain is letters too
        ("a@b.co", "a@b.co"),
        ("a" * 64 + "@example.com", "a" * 64 + "@example.com"),  # the longest local part
        ("a" * 64 + "@" + ".".join(["b" * 61] * 3) + ".com",) * 2,  # 254 characters, the longest address
    ],
)
def test_valid_unusual_emails_are_stored_normalized(value: str, cleaned: str) -> None:
    assert clean(field(FieldType.EMAIL), value) == cleaned


@pytest.mark.parametrize(
    "value",
    [
        "Ann <a@b.co>",  # a display name
        "<a@b.co>",
        "a@b.co (Ann)",  # a comment
        '"ann smith"@example.com',  # a quoted local part
        '"ann"@example.com',
        "ada@localhost",  # no top-level domain
        "ada@intranet",
        "ada@example.com.",
        "a@[192.0.2.1]",  # an IP address instead of a domain
        "ada@example.test",  # special-use names mail can't reach
        "ada@printer.local",
        "ada@example.invalid",
        "ada@exam_ple.com",
        "ada@example.123",
        "ada,bob@example.com",
        "ada@example.com, bob@example.com",  # two addresses
        "ada\u00a0lovelace@example.com",  # a no-break space
        "\u200bada@example.com",  # an invisible character
        "ada@example.com\u202e",  # a right-to-left override
        "a" * 64 + "@" + ".".join(["b" * 62] * 3) + ".com",  # 257 characters: 254 is the most
        "ada@" + "b" * 64 + ".com",  # a domain label over 63 characters
    ],
)
def test_odd_emails_are_refused_with_the_inline_message(value: str) -> None:
    assert error(field(FieldType.EMAIL), value) == BAD_EMAIL


# --- url ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "https://example.com",
        "http://example.com:8080/path?q=1#top",
        "HTTPS://Example.com/a%20b",
        "https://[::1]/",
    ],
)
def test_valid_urls(value: str) -> None:
    assert clean(field(FieldType.URL), value) == value


@pytest.mark.parametrize(
    "value",
    [
        "example.com",
        "javascript:alert(1)",
        "JavaScript://example.com/%0Aalert(1)",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "data:text/html,<script>alert(1)</script>",
        "https://",
        "https:///path",
        "https://exa mple.com",
        "https://example.com:99999/",
        "https://example.com:port/",
        "http://[::1/",
    ],
)
def test_invalid_urls(value: str) -> None:
    assert error(field(FieldType.URL), value) == BAD_URL


# --- number -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [("12", 12), ("-3", -3), ("+7", 7), ("4.0", 4), ("0", 0), (" 42 ", 42)],
)
def test_whole_numbers(value: str, cleaned: int) -> None:
    result = clean(field(FieldType.NUMBER), value)
    assert result == cleaned
    assert type(result) is int


@pytest.mark.parametrize(
    ("value", "cleaned"), [("1.5", 1.5), ("-0.25", -0.25), (".5", 0.5), ("3", 3.0), ("2.10", 2.1)]
)
def test_decimal_numbers(value: str, cleaned: float) -> None:
    result = clean(field(FieldType.NUMBER, decimals=2), value)
    assert result == cleaned
    assert type(result) is float


@pytest.mark.parametrize(
    "value",
    ["1.5", "abc", "nan", "inf", "-Infinity", "1e999", "1e3", "0x10", "1_000", "1,000", "--1", "½", "١٢"],
)
def test_not_whole_numbers(value: str) -> None:
    assert error(field(FieldType.NUMBER), value) == "Enter a whole number, like 12."


@pytest.mark.parametrize("value", ["nan", "1e2", "1.2.3", "."])
def test_not_decimal_numbers(value: str) -> None:
    assert error(field(FieldType.NUMBER, decimals=1), value) == "Enter a number, like 1.5."


def test_too_many_decimal_places() -> None:
    assert error(field(FieldType.NUMBER, decimals=2), "1.005") == "Use at most 2 decimal places."


def test_overlong_number_is_rejected() -> None:
    assert error(field(FieldType.NUMBER), "9" * 41) == "Enter a whole number, like 12."


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "Must be at least 1."), ("21", "Must be at most 20."), ("-100", "Must be at least 1.")],
)
def test_number_range(value: str, message: str) -> None:
    quantity = field(FieldType.NUMBER, min=1, max=20)

    assert error(quantity, value) == message
    assert clean(quantity, "1") == 1
    assert clean(quantity, "20") == 20


def test_fractional_bounds_are_shown_as_written() -> None:
    assert error(field(FieldType.NUMBER, decimals=1, min=0.5), "0.4") == "Must be at least 0.5."


# --- date ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2024-02-29", "1999-12-31", " 2030-01-01 "])
def test_valid_dates(value: str) -> None:
    assert clean(field(FieldType.DATE), value) == value.strip()


@pytest.mark.parametrize(
    "value", ["2024/01/01", "01-02-2024", "20240101", "2024-1-1", "2024-01-01T00:00", "tomorrow"]
)
def test_malformed_dates(value: str) -> None:
    assert error(field(FieldType.DATE), value) == BAD_DATE


@pytest.mark.parametrize("value", ["2023-02-29", "2024-13-01", "2024-04-31", "0000-01-01"])
def test_dates_that_do_not_exist(value: str) -> None:
    assert error(field(FieldType.DATE), value) == "That date doesn't exist; check the day and month."


# --- select -------------------------------------------------------------------------------


def test_select_accepts_exactly_one_of_the_options() -> None:
    account = field(FieldType.SELECT, options=("Okta", "VPN"))

    assert clean(account, "VPN") == "VPN"
    assert error(account, "vpn") == "Choose one of the listed options."
    assert error(account, "Okta,VPN") == "Choose one of the listed options."


# --- the whole form -----------------------------------------------------------------------


def onboarding() -> Action:
    return Action(
        id="new-employee",
        title="Onboard",
        fields=(
            Field(id="full_name", label="Full name", type=FieldType.TEXT, max_length=80),
            Field(id="email", label="Work email", type=FieldType.EMAIL),
            Field(id="start_date", label="Start date", type=FieldType.DATE),
            Field(id="laptops", label="Laptops", type=FieldType.NUMBER, min=0, max=3),
            Field(id="department", label="Department", type=FieldType.SELECT,
                  options=(Choice(value="Sales", label="Sales"), Choice(value="Ops", label="Ops"))),
            Field(id="notes", label="Notes", type=FieldType.TEXTAREA, required=False),
        ),
    )


def test_valid_submission_is_cleaned_and_json_ready() -> None:
    raw = {
        "full_name": " Grace Hopper ",
        "email": "grace@NAVY.mil",
        "start_date": "2024-09-02",
        "laptops": "1",
        "department": "Ops",
        "notes": "",
        "unrelated": "ignored",
    }

    cleaned = validate_submission(onboarding(), raw)

    assert cleaned == {
        "full_name": "Grace Hopper",
        "email": "grace@navy.mil",
        "start_date": "2024-09-02",
        "laptops": 1,
        "department": "Ops",
        "notes": None,
    }
    assert json.loads(json.dumps(cleaned)) == cleaned


def test_every_bad_field_is_reported_at_once() -> None:
    raw = {
        "full_name": "",
        "email": "grace",
        "start_date": "2024-02-30",
        "laptops": "4",
        "department": "Legal",
        "notes": "fine",
    }

    with pytest.raises(FieldErrors) as caught:
        validate_submission(onboarding(), raw)

    assert caught.value.errors == {
        "full_name": REQUIRED,
        "email": BAD_EMAIL,
        "start_date": "That date doesn't exist; check the day and month.",
        "laptops": "Must be at most 3.",
        "department": "Choose one of the listed options.",
    }
    assert str(caught.value).startswith("full_name: This field is required.; email: ")
