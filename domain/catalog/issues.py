"""Lets model validators report several problems at once, each at its own key."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence

from pydantic import BeforeValidator, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from domain.catalog.source import Path


def raise_issues(model: str, issues: Iterable[tuple[Path, str]]) -> None:
    """Raise one ValidationError carrying every ``(relative path, message)`` issue, if any.

    A plain ValueError would collapse them into one error located at the model itself.
    """
    details = [
        InitErrorDetails(type=PydanticCustomError("catalog", message), loc=loc, input=None)
        for loc, message in issues
    ]
    if details:
        raise ValidationError.from_exception_data(model, details)


def duplicate_issues(
    values: Sequence[Hashable], key: str, what: str, suffix: Path = ()
) -> Iterator[tuple[Path, str]]:
    """An issue for every repeat in the list under ``key``, located at the repeat (plus ``suffix``)."""
    first: dict[Hashable, int] = {}
    for index, value in enumerate(values):
        if value in first:
            yield (key, index, *suffix), f"duplicate {what} {value!r} (already at {key}[{first[value]}])"
        else:
            first[value] = index


def sized(*, non_empty: bool = False, maximum: int | None = None) -> BeforeValidator:
    """Bound the length of a list or mapping as written.

    pydantic's own length constraints on tuples count only the items that validated, which
    would add a bogus "too short" error next to every invalid item.
    """

    def check(value: object) -> object:
        if isinstance(value, (list, dict)) and non_empty and not value:
            raise PydanticCustomError("too_short", "must not be empty")
        if isinstance(value, (list, dict)) and maximum is not None and len(value) > maximum:
            raise PydanticCustomError("too_long", f"expected at most {maximum} items, got {len(value)}")
        return value

    return BeforeValidator(check)
