"""Validation of what a requester typed into an action's form.

Slack's own input limits can be bypassed by anyone crafting a payload, so every value is
treated as an arbitrary string: sizes are capped before anything else looks at it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from domain.catalog import Action, Field, FieldType
from domain.catalog.fields import format_number

_MAX_INPUT = 3000  # Slack's largest plain-text input; nothing legitimate is longer
_MAX_NUMBER = 40
_CONTROL = re.compile(r"[\x00-\x1f]")
_CONTROL_EXCEPT_NEWLINE_TAB = re.compile(r"[\x00-\x08\x0b-\x1f]")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.([0-9]*))?|\.([0-9]+))")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

REQUIRED = "This field is required."
BAD_EMAIL = "Enter a valid email address, like name@example.com."
BAD_URL = "Enter a web address starting with http:// or https://."
BAD_DATE = "Enter a date as YYYY-MM-DD, like 2024-03-31."


class FieldErrors(Exception):
    """Every invalid field with a message for the requester, so the modal can flag them all."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field_id}: {message}" for field_id, message in errors.items()))
        self.errors = errors


class _Invalid(Exception):
    """A single field's value was rejected; the message is shown to the requester as is."""


def validate_submission(action: Action, raw: Mapping[str, str | None]) -> dict[str, object]:
    """Clean every field of ``action`` from ``raw`` (JSON-ready; None for empty optional fields).

    Raises FieldErrors listing all bad fields. Keys of ``raw`` that aren't fields are ignored.
    """
    cleaned: dict[str, object] = {}
    errors: dict[str, str] = {}
    for field in action.fields:
        try:
            cleaned[field.id] = _clean(field, raw.get(field.id))
        except _Invalid as invalid:
            errors[field.id] = str(invalid)
    if errors:
        raise FieldErrors(errors)
    return cleaned


def _clean(field: Field, value: str | None) -> object:
    text = (value or "").strip()
    if not text:
        if field.required:
            raise _Invalid(REQUIRED)
        return None
    limit = field.max_length or _MAX_INPUT
    if len(text) > limit:
        raise _Invalid(f"Must be at most {_characters(limit)}.")
    _check_characters(field, text)
    return _CLEANERS[field.type](field, text)


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
    if text not in field.options:
        raise _Invalid("Choose one of the listed options.")
    return text


_CLEANERS: dict[FieldType, Callable[[Field, str], object]] = {
    FieldType.TEXT: _text,
    FieldType.TEXTAREA: _text,
    FieldType.EMAIL: _email,
    FieldType.URL: _url,
    FieldType.NUMBER: _number,
    FieldType.DATE: _date,
    FieldType.SELECT: _select,
}
