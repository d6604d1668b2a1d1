"""Figures in words, the same in Slack, in the report and in the playground."""

from __future__ import annotations

from domain.analytics_figures import Figures, Spread

DASH = "—"


def duration(seconds: float | None) -> str:
    """``45 s``, ``12 min``, ``2 h``, ``2.5 h``, ``3 d``: as precise as a person reads it."""
    if seconds is None:
        return DASH
    if seconds < 60:
        return f"{round(seconds)} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        hours = seconds / 3600
        return f"{hours:.1f} h".replace(".0 h", " h") if hours < 10 else f"{round(hours)} h"
    return f"{seconds / 86400:.1f} d".replace(".0 d", " d")


def percent(share: float | None) -> str:
    return DASH if share is None else f"{round(share * 100)}%"


def hours(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f} h".replace(".0 h", " h")


def spread(times: Spread) -> str:
    """``p50 2 h · p90 6 h (12)``."""
    if not times.count:
        return DASH
    return f"p50 {duration(times.p50)} · p90 {duration(times.p90)} ({times.count})"


def funnel(figures: Figures) -> str:
    """``8 opened → 5 submitted → 2 approved → 0 fulfilled · 2 abandoned``."""
    return (f"{figures.opened} opened → {figures.submitted} submitted → {figures.approved} approved → "
            f"{figures.fulfilled} fulfilled · {figures.abandoned} abandoned")
