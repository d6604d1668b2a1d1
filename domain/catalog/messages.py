"""Rewrites pydantic's validation errors into short, specific, compiler-style messages."""

from __future__ import annotations

import difflib
from datetime import date
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from domain.catalog.source import Path

# Scalars are validated strictly, so a wrong type is always one of these error kinds.
_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)",
}

# bool before int: YAML's true/false are Python bools, which are also ints.
_VALUE_KINDS: tuple[tuple[type, str], ...] = (
    (type(None), "an empty value"),
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a number"),
    (str, "a string"),
    (list, "a list"),
    (dict, "a mapping"),
)


def located_message(error: ErrorDetails, schema: type[BaseModel]) -> tuple[Path, str]:
    """The document path an error belongs to, and what to tell the catalog's author."""
    loc: Path = tuple(segment for segment in error["loc"] if segment != "[key]")
    kind = error["type"]
    if kind == "missing":
        return loc[:-1], f"missing required key {loc[-1]!r}"
    if kind == "extra_forbidden":
        return loc, _unknown_key(str(loc[-1]), _keys_at(schema, loc[:-1]))
    if kind in _EXPECTED:
        return loc, _expected(_EXPECTED[kind], error["input"])
    return loc, _other_message(error)


def _unknown_key(key: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"unknown key (did you mean {close[0]!r}?)"
    return f"unknown key (expected one of: {', '.join(allowed)})"


def _expected(what: str, value: object) -> str:
    message = f"expected {what}, got {_describe(value)}"
    if what == "a string" and isinstance(value, (bool, int, float, date)):
        message += " (put the value in quotes)"
    return message


def _describe(value: object) -> str:
    """Name a YAML value's type the way the author sees it in the file."""
    return next(
        (name for kind, name in _VALUE_KINDS if isinstance(value, kind)), f"a {type(value).__name__}"
    )


def _other_message(error: ErrorDetails) -> str:
    """Range and size limits get our wording; our own validators' messages pass through as is."""
    ctx: dict[str, Any] = error.get("ctx", {})
    match error["type"]:
        case "string_too_short":  # every catalog string that has a minimum needs one character
            return "must not be empty"
        case "string_too_long":
            return f"must be at most {ctx['max_length']} characters (got {len(error['input'])})"
        case "greater_than_equal":
            return f"must be at least {ctx['ge']}"
        case "less_than_equal":
            return f"must be at most {ctx['le']}"
        case "finite_number":
            return "expected a finite number"
    return error["msg"]


def _keys_at(schema: type[BaseModel], loc: Path) -> tuple[str, ...]:
    """Keys the model at ``loc`` accepts, found by following the schema's type annotations."""
    node: object = schema
    for segment in loc:
        node = _child(node, segment)
    if not (isinstance(node, type) and issubclass(node, BaseModel)):
        return ()
    return tuple(field.alias or name for name, field in node.model_fields.items())  # as written in YAML


def _child(node: object, segment: str | int) -> object:
    if isinstance(node, type) and issubclass(node, BaseModel):
        fields = {field.alias or name: field for name, field in node.model_fields.items()}
        field = fields.get(segment) if isinstance(segment, str) else None
        return _non_null(field.annotation) if field else None
    origin, args = get_origin(node), get_args(node)
    if origin is dict:
        return _non_null(args[1])
    if origin is tuple:
        return _non_null(args[0])
    return None


def _non_null(annotation: object) -> object:
    """``X | None`` -> ``X``: optional sections still have a shape to suggest keys from."""
    if get_origin(annotation) in (Union, UnionType):
        return next(arg for arg in get_args(annotation) if arg is not type(None))
    return annotation
