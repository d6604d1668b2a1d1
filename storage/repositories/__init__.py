"""Repositories: plain records in, plain records out, over Core SQL."""

from __future__ import annotations

from typing import Union

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

# What repositories run statements on: the unit of work's connection, or (CLI, tests) a session.
Executor = Union[AsyncConnection, AsyncSession]
