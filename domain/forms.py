"""Validation of what a requester entered into an action's form.

Slack's own input limits can be bypassed by anyone crafting a payload, so every value is
treated as arbitrary input: a string (or a list of strings for multi-value inputs) whose size
is capped before anything else looks at it. The same rules check a catalog's ``default:``
values and the values prefilled from a command (``domain.prefill``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from domain.catalog import Action, Field, FieldType
from domain.catalog.fields import LIST_TYPES, Choice, format_number

Raw = str | list[str] | None
"""One input as the form delivers it: text, the values picked in a multi-value input, or nothing."""

_MAX_INPUT = 3000  # Slack's largest plain-text input; nothing legitimate is longer
_MAX_NUMBER = 40
_CONTROL = re.compile(r"[\x00-\x1f]")
_CONTROL_EXCEPT_NEWLINE_TAB = re.compile(r"[\x00-\x08\x0b-\x1f]")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.([0-9]*))?|\.([0-9]+))")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_SLACK_USER = re.compile(r"[UW][A-Z0-9]{1,31}")
_SLACK_CHANNEL = re.compile(r"[CGD][A-Z0-9]{1,31}")
_MAX_PICKED = 100  # a multi-value input never legitimately carries more

REQUIRED = "This field is required."
BAD_EMAIL = "Enter a valid email address, like name@example.com."
BAD_URL = "Enter a web address starting with http:// or https://."
BAD_DATE = "Enter a date as YYYY-MM-DD, like 2024-03-31."
BAD_TIME = "Enter a time as HH:MM (24 hours), like 09:30."
BAD_DATETIME = "Pick a date and a time."
BAD_CHOICE = "Choose one of the listed options."


class FieldErrors(Exception):
    """Every invalid field with a message for the requester, so the modal can flag them all."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field_id}: {message}" for field_id, message in errors.items()))
        self.errors = errors


class _Invalid(Exception):
    """A single field's value was rejected; the message is shown to the requester as is."""


def validate_submission(action: Action, raw: Mapping[str, Raw]) -> dict[str, object]:
    """Clean every field of ``action`` from ``raw`` (JSON-ready; None for empty optional fields
    and for fields not shown, whatever they carry).

    Raises FieldErrors listing all bad fields. Keys of ``raw`` that aren't fields are ignored.
    """
    cleaned: dict[str, object] = {}
    errors: dict[str, str] = {}
    shown = visible_fields(action, raw)
    for field in action.fields:
        if field.id not in shown:
            cleaned[field.id] = None
            continue
        try:
            cleaned[field.id] = clean(field, raw.get(field.id))
        except _Invalid as invalid:
            errors[field.id] = str(invalid)
    if errors:
        raise FieldErrors(errors)
    return cleaned


def visible_fields(action: Action, raw: Mapping[str, Raw]) -> set[str]:
    """Ids of the fields shown for the values entered so far: a ``show_if`` field is shown while
    its controlling field (always an earlier one, itself shown) has the value it names."""
    shown: set[str] = set()
    for field in action.fields:
        rule = field.show_if
        if rule is None or (rule.field in shown and _equals(action.field(rule.field), raw.get(rule.field),
                                                            rule.equals)):
            shown.add(field.id)
    return shown


def _equals(field: Field, value: Raw, wanted: str | bool) -> bool:
    if field.type is FieldType.CHECKBOX:
        return _ticked(value) is wanted
    if isinstance(value, list):
        return wanted in value
    return isinstance(wanted, str) and (value or "").strip() == wanted


def clean(field: Field, value: Raw) -> object:
    """``value`` as stored for ``field``; raises ``_Invalid`` with a message for the requester."""
    if field.type is FieldType.CHECKBOX:
        ticked = _ticked(value)
        if field.required and not ticked:
            raise _Invalid("Tick the box to go on.")
        return ticked
    if field.type in LIST_TYPES:
        return _clean_list(field, value)
    text = (value[0] if len(value) == 1 else "") if isinstance(value, list) else (value or "")
    text = text.strip()
    if not text:
        if field.required:
            raise _Invalid(REQUIRED)
        return None
    limit = field.max_length or _MAX_INPUT
    if len(text) > limit:
        raise _Invalid(f"Must be at most {_characters(limit)}.")
    _check_characters(field, text)
    return _CLEANERS[field.type](field, text)


def clean_field(field: Field, value: Raw) -> object:
    """``clean`` for callers outside this module: ``FieldErrors`` naming the field if it fails."""
    try:
        return clean(field, value)
    except _Invalid as invalid:
        raise FieldErrors({field.id: str(invalid)}) from None


def _ticked(value: Raw) -> bool:
    """A lone checkbox: ticked when its one option was picked (or, typed, ``yes``/``true``)."""
    picked = value if isinstance(value, list) else [value or ""]
    return any(item.strip().lower() in ("true", "yes", "on", "1") for item in picked if isinstance(item, str))


def _clean_list(field: Field, value: Raw) -> list[str] | None:
    items = value if isinstance(value, list) else [] if value is None else [value]
    picked: list[str] = []
    for item in items:
        text = item.strip() if isinstance(item, str) else ""
        if text and text not in picked:
            picked.append(text)
    if not picked:
        if field.required:
            raise _Invalid(REQUIRED)
        return None
    if len(picked) > _MAX_PICKED:
        raise _Invalid(f"Pick at most {_MAX_PICKED}.")
    if field.type is FieldType.USERS:
        if not all(_SLACK_USER.fullmatch(item) for item in picked):
            raise _Invalid("Pick people from the list.")
        return picked
    if any(field.choice(item) is None for item in picked):
        raise _Invalid(BAD_CHOICE)
    return picked


def _check_characters(field: Field, text: str) -> None:
    """Only multi-line text may contain line breaks and tabs; no input may contain other controls."""
    multiline = field.type is FieldType.TEXTAREA
    if not multiline and "\n" in text:
        raise _Invalid("Use a single line, without line breaks.")
    if (_CONTROL_EXCEPT_NEWLINE_TAB if multiline else _CONTROL).search(text):
        raise _Invalid("Remove the invisible control characters from this text.")


def _characters(count: int) -> str:
    return "1 character" if count == 1 else f"{count} characters"


def _text(field: Field, text: str) -> str:
    if field.min_length is not None and len(text) < field.min_length:
        raise _Invalid(f"Must be at least {_characters(field.min_length)}.")
    if field.pattern is not None and not re.fullmatch(field.pattern, text):
        raise _Invalid(field.pattern_message or "Doesn't match the expected format.")
    return text


def _email(field: Field, text: str) -> str:
    """A bare address (no display name, no quoted local part, no [IP]) in its normalized form.

    email-validator checks the syntax (internationalized addresses too) and refuses special-use
    domains (``.test``, ``.local``, ...); ``strict`` holds the local part to 64 characters. No DNS
    lookup: the form answers at once. Its message is English prose for developers, so the
    requester sees ours. A top-level domain is letters (``c0m`` is a typo), as before.
    """
    try:
        address = validate_email(text, check_deliverability=False, strict=True)
    except EmailNotValidError:
        raise _Invalid(BAD_EMAIL) from None
    if not address.domain.rpartition(".")[2].isalpha():
        raise _Invalid(BAD_EMAIL)
    return address.normalized


def _url(field: Field, text: str) -> str:
    """http(s) only: anything else (javascript:, file:, ...) is unsafe to show as a link."""
    try:
        parts = urlsplit(text)
        _ = parts.port  # reading it raises ValueError for a malformed port
    except ValueError:
        raise _Invalid(BAD_URL) from None
    has_space = any(character.isspace() for character in text)
    if has_space or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise _Invalid(BAD_URL)
    return text


def _number(field: Field, text: str) -> int | float:
    example = "Enter a whole number, like 12." if field.decimals == 0 else "Enter a number, like 1.5."
    match = _NUMBER.fullmatch(text) if len(text) <= _MAX_NUMBER else None
    if match is None:
        raise _Invalid(example)
    fraction = (match.group(1) or match.group(2) or "").rstrip("0")
    if len(fraction) > field.decimals:
        raise _Invalid(example if field.decimals == 0 else f"Use at most {field.decimals} decimal places.")
    value = Decimal(text)
    if field.min is not None and value < field.min:
        raise _Invalid(f"Must be at least {format_number(field.min)}.")
    if field.max is not None and value > field.max:
        raise _Invalid(f"Must be at most {format_number(field.max)}.")
    return int(value) if field.decimals == 0 else round(float(value), field.decimals)


def _date(field: Field, text: str) -> str:
    if not _DATE.fullmatch(text):
        raise _Invalid(BAD_DATE)
    try:
        date.fromisoformat(text)
    except ValueError:
        raise _Invalid("That date doesn't exist; check the day and month.") from None
    return text


def _select(field: Field, text: str) -> str:
    if field.choice(text) is None:
        raise _Invalid(BAD_CHOICE)
    return text


def _time(field: Field, text: str) -> str:
    if not _TIME.fullmatch(text):
        raise _Invalid(BAD_TIME)
    return text


def _datetime(field: Field, text: str) -> str:
    """Slack's picker sends seconds since the epoch; stored as ISO 8601 in UTC."""
    try:
        moment = datetime.fromtimestamp(int(text), UTC) if text.isdigit() and len(text) <= 12 else \
            datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise _Invalid(BAD_DATETIME)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    except (ValueError, OverflowError, OSError):  # a moment at the calendar's edge has no UTC form
        raise _Invalid(BAD_DATETIME) from None


def _user(field: Field, text: str) -> str:
    if not _SLACK_USER.fullmatch(text):
        raise _Invalid("Pick a person from the list.")
    return text


def _channel(field: Field, text: str) -> str:
    if not _SLACK_CHANNEL.fullmatch(text):
        raise _Invalid("Pick a channel from the list.")
    return text


_CLEANERS: dict[FieldType, Callable[[Field, str], object]] = {
    FieldType.TEXT: _text,
    FieldType.TEXTAREA: _text,
    FieldType.EMAIL: _email,
    FieldType.URL: _url,
    FieldType.NUMBER: _number,
    FieldType.DATE: _date,
    FieldType.TIME: _time,
    FieldType.DATETIME: _datetime,
    FieldType.SELECT: _select,
    FieldType.RADIO: _select,
    FieldType.USER: _user,
    FieldType.CHANNEL: _channel,
}


def default_problem(field: Field) -> str | None:
    """Why the catalog's ``default:`` cannot be ``field``'s value, or None if it can."""
    raw = as_raw(field, field.default)
    if raw is None:
        return f"not a valid default for a {field.type} field"
    try:
        clean(field, raw)
    except _Invalid as invalid:
        return f"{field.default!r} is not a valid value: {invalid}"
    if field.type is FieldType.NUMBER and (field.integer or field.decimals == 0) and \
            isinstance(field.default, float) and not field.default.is_integer():
        return f"{field.default!r} is not a whole number"
    return None


def as_raw(field: Field, value: object) -> Raw:
    """A typed value (from YAML, or stored) as the form would deliver it; None if it cannot be one."""
    if isinstance(value, bool):
        return ("true" if value else "") if field.type is FieldType.CHECKBOX else None
    if field.type is FieldType.CHECKBOX:
        return None
    if isinstance(value, list | tuple):
        return [str(item) for item in value] if field.type in LIST_TYPES else None
    if isinstance(value, datetime):
        return value.isoformat() if field.type is FieldType.DATETIME else None
    if isinstance(value, date):
        return value.isoformat() if field.type is FieldType.DATE else None
    if isinstance(value, time):
        return value.isoformat(timespec="minutes") if field.type is FieldType.TIME else None
    if isinstance(value, (int, float)):
        return format_number(float(value)) if field.type is FieldType.NUMBER else None
    if isinstance(value, str):
        return [value] if field.type in LIST_TYPES else value
    return None


def initial_values(action: Action, prefilled: Mapping[str, Raw] | None = None) -> dict[str, Raw]:
    """What the form shows when it opens: the catalog's defaults, then what the command prefilled."""
    values: dict[str, Raw] = {field.id: as_raw(field, field.default) for field in action.fields
                              if field.default is not None}
    values.update(prefilled or {})
    return values


def matching_options(field: Field, query: str, limit: int = 100) -> list[Choice]:
    """Options of a long list for what a person typed: labels starting with it first, then
    labels or values containing it, in catalog order; everything (up to ``limit``) for nothing."""
    wanted = " ".join(query.split()).casefold()
    if not wanted:
        return list(field.options[:limit])
    starts: list[Choice] = []
    contains: list[Choice] = []
    for choice in field.options:  # one pass: lists run to thousands of options, searched on every key
        label = choice.label.casefold()
        if label.startswith(wanted):
            starts.append(choice)
            if len(starts) == limit:
                break
        elif wanted in label or wanted in choice.value.casefold():
            contains.append(choice)
    return (starts + contains)[:limit]
