"""Percentiles and per-phase summaries, kept apart so every figure is computed one way."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile (no interpolation: every reported value was really observed)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(value: float | None) -> float | None:
    """Seconds to milliseconds, rounded for the report."""
    return None if value is None else round(value * 1000, 3)


@dataclass
class PhaseResult:
    """One server x scenario x phase: what was sent, how fast it was answered, what it cost."""

    server: str
    scenario: str
    phase: str
    requests: int
    errors: int
    seconds: float
    throughput: float
    ack_p50_ms: float | None
    ack_p90_ms: float | None
    ack_p99_ms: float | None
    ack_max_ms: float | None
    cpu_ms_per_request: float | None
    views_open_p50_ms: float | None = None
    views_open_p99_ms: float | None = None
    approver_dm_p50_ms: float | None = None
    """submit: from sending until the stand-in receives the first approver's DM (chat.postMessage)."""
    approver_dm_p99_ms: float | None = None
    step_updated_p50_ms: float | None = None
    """click: from sending until the stand-in receives the last chat.update of the step's approver DMs."""
    step_updated_p99_ms: float | None = None
    target_rate: float | None = None
    ratio_ack_p50: float | None = None
    ratio_cpu: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def summarise(server: str, scenario: str, phase: str, latencies: Sequence[float], errors: int,
              seconds: float, cpu_seconds: float | None, views_open: Sequence[float] = (),
              target_rate: float | None = None, approver_dm: Sequence[float] = (),
              step_updated: Sequence[float] = ()) -> PhaseResult:
    """Fold raw per-request latencies (seconds) into the reported figures."""
    count = len(latencies) + errors
    return PhaseResult(
        server=server, scenario=scenario, phase=phase, requests=count, errors=errors,
        seconds=round(seconds, 3), throughput=round(len(latencies) / seconds, 1) if seconds > 0 else 0.0,
        ack_p50_ms=ms(percentile(latencies, 50)), ack_p90_ms=ms(percentile(latencies, 90)),
        ack_p99_ms=ms(percentile(latencies, 99)), ack_max_ms=ms(max(latencies) if latencies else None),
        cpu_ms_per_request=None if cpu_seconds is None or not count else round(cpu_seconds * 1000 / count, 3),
        views_open_p50_ms=ms(percentile(views_open, 50)), views_open_p99_ms=ms(percentile(views_open, 99)),
        approver_dm_p50_ms=ms(percentile(approver_dm, 50)), approver_dm_p99_ms=ms(percentile(approver_dm, 99)),
        step_updated_p50_ms=ms(percentile(step_updated, 50)), step_updated_p99_ms=ms(percentile(step_updated, 99)),
        target_rate=None if target_rate is None else round(target_rate, 1),
    )
