"""Form fields an action asks the requester to fill in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    AllowInfNan,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Strict,
    StringConstraints,
    model_validator,
)
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

from domain.catalog.identifiers import FieldId
from domain.catalog.issues import duplicate_issues, raise_issues, sized
from domain.catalog.source import Path


class FieldType(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    EMAIL = "email"
    URL = "url"
    NUMBER = "number"
    DATE = "date"
    TIME = "time"
    DATETIME = "datetime"
    SELECT = "select"
    MULTI_SELECT = "multi_select"
    USER = "user"
    USERS = "users"
    CHANNEL = "channel"
    CHECKBOX = "checkbox"
    CHECKBOXES = "checkboxes"
    RADIO = "radio"


_TYPE_NAMES = tuple(member.value for member in FieldType)
_TEXTUAL = frozenset({FieldType.TEXT, FieldType.TEXTAREA})
CHOICE_TYPES = frozenset({FieldType.SELECT, FieldType.MULTI_SELECT, FieldType.CHECKBOXES, FieldType.RADIO})
"""Types whose value is picked from ``options``."""
LIST_TYPES = frozenset({FieldType.MULTI_SELECT, FieldType.USERS, FieldType.CHECKBOXES})
"""Types whose value is a list."""
STATIC_OPTIONS_LIMIT = 100
"""Slack shows at most this many options in a select; a longer list is served as an external select."""
BUTTON_OPTIONS_LIMIT = 10
"""Slack's limit for checkboxes and radio buttons."""
# Type-specific keys and the field types that accept them; other types must leave them unset.
_TYPE_SPECIFIC_KEYS: dict[str, frozenset[FieldType]] = {
    "min_length": _TEXTUAL,
    "max_length": _TEXTUAL,
    "pattern": _TEXTUAL,
    "pattern_message": _TEXTUAL,
    "min": frozenset({FieldType.NUMBER}),
    "max": frozenset({FieldType.NUMBER}),
    "decimals": frozenset({FieldType.NUMBER}),
    "integer": frozenset({FieldType.NUMBER}),
    "options": CHOICE_TYPES,
}


def _known_type(value: object) -> object:
    """Name the valid types: a typo in ``type`` is the most common field mistake."""
    if not isinstance(value, str) or value not in _TYPE_NAMES:
        raise PydanticCustomError(
            "field_type", f"unknown type {value!r} (expected one of: {', '.join(_TYPE_NAMES)})"
        )
    return value


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise PydanticCustomError("pattern", f"invalid regular expression: {error}") from None
    return pattern


def format_number(value: float) -> str:
    """Show bounds the way people write them: 5 rather than 5.0, and never 1e+06."""
    return str(int(value)) if value.is_integer() else str(value)


# Slack's limits: 2000 characters for labels and hints, 150 for placeholders, 75 for an option's
# text and 150 for its value.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Placeholder = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]
OptionLabel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=75)]
OptionValue = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]
Bound = Annotated[float, Strict(), AllowInfNan(False)]


_SCALAR_KINDS = ((bool, "a boolean"), (int, "an integer"), (float, "a number"), (date, "a date"))


def _choice_from_string(value: object) -> object:
    """``- Sales`` is short for ``- {value: Sales, label: Sales}``; YAML's ``- Yes`` is a boolean."""
    if isinstance(value, str):
        return {"value": value, "label": value}
    for kind, name in _SCALAR_KINDS:
        if isinstance(value, kind):
            raise PydanticCustomError("option", f"expected a string, got {name} (put the value in quotes)")
    return value


class Choice(BaseModel):
    """One option: ``value`` is what is stored, ``label`` what people see."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: OptionValue
    label: OptionLabel


class ShowIf(BaseModel):
    """Show the field only while another (earlier) field has a given value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: FieldId
    equals: Annotated[str, Strict()] | Annotated[bool, Strict()]


DefaultValue = str | bool | int | float | date | datetime | tuple[str, ...]
"""A list default is kept as a tuple: actions are hashed (cached forms, Home views)."""


class Field(BaseModel):
    """One input in the request modal; attributes that don't apply to ``type`` stay None/empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: FieldId
    label: Text
    type: Annotated[FieldType, BeforeValidator(_known_type)]
    required: Annotated[bool, Strict()] = True
    placeholder: Placeholder | None = None
    hint: Text | None = None
    min_length: Annotated[int, Strict(), PydanticField(ge=0, le=3000)] | None = None
    max_length: Annotated[int, Strict(), PydanticField(ge=1, le=3000)] | None = None
    pattern: Annotated[str, AfterValidator(_compiles)] | None = None
    pattern_message: Text | None = None
    min: Bound | None = None
    max: Bound | None = None
    decimals: Annotated[int, Strict(), PydanticField(ge=0, le=10)] = 0
    integer: Annotated[bool, Strict()] = False
    options: Annotated[tuple[Annotated[Choice, BeforeValidator(_choice_from_string)], ...],
                       sized(maximum=5000)] = ()
    default: DefaultValue | None = None
    show_if: ShowIf | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        raise_issues("Field", [*self._foreign_keys(), *self._rule_conflicts(), *self._option_issues(),
                               *self._default_issues()])
        return self

    @property
    def external(self) -> bool:
        """Too many options for Slack to list: the select is filled as the person types."""
        return self.type in (FieldType.SELECT, FieldType.MULTI_SELECT) and len(self.options) > STATIC_OPTIONS_LIMIT

    def choice(self, value: str) -> Choice | None:
        """The option stored as ``value``."""
        return next((choice for choice in self.options if choice.value == value), None)

    def _foreign_keys(self) -> Iterator[tuple[Path, str]]:
        for key, types in _TYPE_SPECIFIC_KEYS.items():
            if self.type not in types and getattr(self, key) != type(self).model_fields[key].default:
                yield (key,), f"not allowed for type '{self.type}'"

    def _rule_conflicts(self) -> Iterator[tuple[Path, str]]:
        if self.min_length is not None and self.max_length is not None and self.min_length > self.max_length:
            yield ("min_length",), (
                f"min_length ({self.min_length}) is greater than max_length ({self.max_length})"
            )
        if self.min is not None and self.max is not None and self.min > self.max:
            yield ("min",), (
                f"min ({format_number(self.min)}) is greater than max ({format_number(self.max)})"
            )
        if self.pattern_message is not None and self.pattern is None:
            yield ("pattern_message",), "has no effect without 'pattern'"
        if self.integer and self.decimals:
            yield ("integer",), f"an integer field cannot have decimals ({self.decimals})"

    def _option_issues(self) -> Iterator[tuple[Path, str]]:
        if self.type in CHOICE_TYPES and not self.options:
            yield ("options",), f"a {self.type} field needs at least one option"
        if self.type in (FieldType.CHECKBOXES, FieldType.RADIO) and len(self.options) > BUTTON_OPTIONS_LIMIT:
            yield ("options",), (f"Slack shows at most {BUTTON_OPTIONS_LIMIT} {self.type} options, got "
                                 f"{len(self.options)} (use a select for longer lists)")
        repeated_values = list(duplicate_issues([choice.value for choice in self.options], "options", "option"))
        yield from repeated_values
        flagged = {path[1] for path, _ in repeated_values}
        yield from (issue for issue in duplicate_issues([choice.label for choice in self.options], "options",
                                                        "option label", suffix=("label",))
                    if issue[0][1] not in flagged)

    def _default_issues(self) -> Iterator[tuple[Path, str]]:
        if self.default is None:
            return
        from domain.forms import default_problem  # forms validates values, and imports this module

        problem = default_problem(self)
        if problem:
            yield ("default",), problem


def show_if_issues(fields: tuple[Field, ...]) -> Iterator[tuple[Path, str]]:
    """``show_if`` must name an earlier field (so the form can be drawn top to bottom) and a
    value that field can have."""
    earlier: dict[str, Field] = {}
    for index, field in enumerate(fields):
        rule = field.show_if
        if rule is not None:
            where: Path = ("fields", index, "show_if")
            controlling = earlier.get(rule.field)
            if controlling is None:
                later = any(other.id == rule.field for other in fields[index:])
                yield (*where, "field"), (f"'{rule.field}' is {'not an earlier' if later else 'not a'} field of "
                                          f"this action (a field can only depend on one above it)")
            else:
                problem = _equals_problem(controlling, rule.equals)
                if problem:
                    yield (*where, "equals"), problem
        earlier[field.id] = field


def _equals_problem(field: Field, wanted: str | bool) -> str | None:
    if field.type is FieldType.CHECKBOX:
        return None if isinstance(wanted, bool) else f"'{field.id}' is a checkbox: use true or false"
    if isinstance(wanted, bool):
        return f"'{field.id}' is not a checkbox: put the value in quotes"
    if field.options and field.choice(wanted) is None:
        values = ", ".join(choice.value for choice in field.options[:10])
        return f"{wanted!r} is not an option of '{field.id}' (options: {values})"
    return None
