"""Form fields an action asks the requester to fill in."""

from __future__ import annotations

import re
from collections.abc import Iterator
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
    SELECT = "select"


_TYPE_NAMES = tuple(member.value for member in FieldType)
_TEXTUAL = frozenset({FieldType.TEXT, FieldType.TEXTAREA})
# Type-specific keys and the field types that accept them; other types must leave them unset.
_TYPE_SPECIFIC_KEYS: dict[str, frozenset[FieldType]] = {
    "min_length": _TEXTUAL,
    "max_length": _TEXTUAL,
    "pattern": _TEXTUAL,
    "pattern_message": _TEXTUAL,
    "min": frozenset({FieldType.NUMBER}),
    "max": frozenset({FieldType.NUMBER}),
    "decimals": frozenset({FieldType.NUMBER}),
    "options": frozenset({FieldType.SELECT}),
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


# Slack's limits: 2000 characters for labels and hints, 150 for placeholders, 75 for options.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Placeholder = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]
Option = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=75)]
Bound = Annotated[float, Strict(), AllowInfNan(False)]


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
    options: Annotated[tuple[Option, ...], sized(maximum=100)] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        raise_issues("Field", [*self._foreign_keys(), *self._rule_conflicts(), *self._option_issues()])
        return self

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

    def _option_issues(self) -> Iterator[tuple[Path, str]]:
        if self.type is FieldType.SELECT and not self.options:
            yield ("options",), "a select field needs at least one option"
        yield from duplicate_issues(self.options, "options", "option")
