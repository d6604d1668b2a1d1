"""Repositories: plain records in, plain records out, over Core SQL.

Statements on hot paths are module-level constants with bound parameters: a statement
object memoises its cache key, which SQLAlchemy otherwise recomputes on every execution
(a visible share of each request's CPU under py-spy).
"""

from __future__ import annotations

from typing import Union

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

# What repositories run statements on: the unit of work's connection, or (CLI, tests) a session.
Executor = Union[AsyncConnection, AsyncSession]
