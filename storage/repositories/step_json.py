"""Conditions on a request's current step, read from its ``steps`` JSON by the database.

``requests.steps`` is a JSON array with one object per approval step; ``current_step`` indexes
it. Which requests wait on someone depends on the lists in the current step's object (``roles``
whose holders decide it, ``approvers`` named for this request), so the conditions are written
once per dialect with ``sqlalchemy.ext.compiler`` rules (SQLite's json_each and json_extract,
PostgreSQL's json operators) and one statement serves both. Rows written before steps had
``roles`` name one role in ``role``; it counts as their list.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class _CurrentStepListed(FunctionElement[bool]):
    """Whether the current step's list ``key`` shares an item with a JSON array of strings.

    Arguments: the ``steps`` column, the ``current_step`` column, the JSON array (a text parameter).
    """

    type = Boolean()
    inherit_cache = True
    key = ""
    legacy_key: str | None = None


class CurrentRolesAmong(_CurrentStepListed):
    """The current step is decided by holders of one of the given roles."""

    name = "current_roles_among"
    key = "roles"
    legacy_key = "role"


class CurrentApproversAmong(_CurrentStepListed):
    """The current step names one of the given people as its approver."""

    name = "current_approvers_among"
    key = "approvers"


def _sqlite(element: _CurrentStepListed, compiler: SQLCompiler, **kw: Any) -> str:
    steps, step, wanted = (compiler.process(clause, **kw) for clause in element.clauses)
    listed = f"json_extract({steps}, '$[' || {step} || '].{element.key}')"
    if element.legacy_key:
        listed = f"coalesce({listed}, json_array(json_extract({steps}, '$[' || {step} || '].{element.legacy_key}')))"
    return (f"EXISTS (SELECT 1 FROM json_each({listed}) AS listed, json_each({wanted}) AS wanted "
            "WHERE listed.value = wanted.value)")


def _postgresql(element: _CurrentStepListed, compiler: SQLCompiler, **kw: Any) -> str:
    steps, step, wanted = (compiler.process(clause, **kw) for clause in element.clauses)
    listed = f"({steps} -> {step} -> '{element.key}')"
    if element.legacy_key:
        listed = f"coalesce({listed}, json_build_array({steps} -> {step} ->> '{element.legacy_key}'))"
    return (f"EXISTS (SELECT 1 FROM json_array_elements_text({listed}) AS listed(value), "
            f"json_array_elements_text(CAST({wanted} AS json)) AS wanted(value) WHERE listed.value = wanted.value)")


for _kind in (CurrentRolesAmong, CurrentApproversAmong):
    compiles(_kind, "sqlite")(_sqlite)
    compiles(_kind, "postgresql")(_postgresql)
