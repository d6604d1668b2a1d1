"""What fulfilment keeps per request: the plan it was approved under, and each step's progress."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

APPROVED, EXPIRED = "approved", "expired"
"""The two phases: ``on_approved`` after the last approval, ``on_expired`` when access ends."""
PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


@dataclass(frozen=True)
class PlanRecord:
    """A request's fulfilment: the catalog keys as they were when it was made (``spec``, see
    ``domain.catalog.fulfilment.Fulfilment``) and its access window once granted."""

    request_id: int
    spec: Mapping[str, Any]
    granted_at: datetime | None = None
    expires_at: datetime | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    """Who ended the access early (``End access now``); None when it ran out, or has not ended."""


@dataclass(frozen=True)
class StepRecord:
    """One step of one phase. ``detail`` describes the last attempt as recorded (HTTP status,
    the answer's first KB, the error; secrets masked); ``result`` is what ``save_as`` keeps."""

    request_id: int
    phase: str
    index: int
    kind: str
    label: str
    status: str
    attempts: int
    detail: Mapping[str, Any] | None
    result: Any
    updated_at: datetime
    finished_at: datetime | None = None


class FulfilmentStore(Protocol):
    """Plans and step progress, inside the unit of work's transaction."""

    async def add_plan(self, request_id: int, spec: Mapping[str, Any]) -> None:
        """Keep the fulfilment keys a request was made under."""

    async def plan(self, request_id: int, *, for_update: bool = False) -> PlanRecord | None:
        """The request's plan (None: its action has no fulfilment); ``for_update`` locks it."""

    async def set_access(self, request_id: int, *, granted_at: datetime | None = None,
                         expires_at: datetime | None = None, ended_at: datetime | None = None,
                         ended_by: str | None = None) -> None:
        """Record the access window's start and end (only the values given change)."""

    async def add_steps(self, steps: list[StepRecord]) -> None:
        """Start a phase: its steps, all pending."""

    async def steps(self, request_id: int) -> list[StepRecord]:
        """Every step of the request, phase by phase, in order."""

    async def steps_of(self, request_ids: list[int]) -> dict[int, list[StepRecord]]:
        """The steps of several requests at once (lists and Home tabs)."""

    async def update_step(self, request_id: int, phase: str, index: int, now: datetime, *, status: str,
                          attempts: int | None = None, detail: Mapping[str, Any] | None = None,
                          result: Any = None) -> None:
        """Record a step's progress (``detail`` and ``result`` only when given)."""
