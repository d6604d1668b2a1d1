"""``selfserve report --format json`` and ``--format md``: the report's figures as data and as Markdown."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from domain.analytics import Report
from domain.analytics_figures import Figures
from domain.analytics_text import duration, funnel, hours, percent, spread


def figures_dict(f: Figures) -> dict[str, Any]:
    """Every stored figure and every derived one (shares from 0 to 1, durations in seconds)."""
    return {**asdict(f), "abandoned": f.abandoned, "satisfaction": f.satisfaction,
            "escalation_rate": f.escalation_rate, "sla_compliance": f.sla_compliance, "utilization": f.utilization}


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "since": report.since.isoformat(), "until": report.until.isoformat(), "days": report.days,
        "total": figures_dict(report.total),
        "actions": [figures_dict(a) for a in report.actions],
        "daily": [{"day": d.day.isoformat(), "completed": d.completed, "completion_p50": d.p50}
                  for d in report.daily],
    }


def _row(f: Figures) -> str:
    cells = [f"`{f.action_id}`" if f.action_id != "*" else "**all**", str(f.opened), str(f.submitted),
             str(f.approved), str(f.fulfilled), str(f.abandoned), duration(f.first_decision.p50),
             duration(f.completion.p50), duration(f.completion.p90), percent(f.satisfaction),
             percent(f.escalation_rate), percent(f.sla_compliance), percent(f.utilization), hours(f.hours_saved)]
    return "| " + " | ".join(cells) + " |"


def report_markdown(report: Report) -> str:
    lines = [f"# Self-service report: {report.since:%Y-%m-%d} to {report.until:%Y-%m-%d} ({report.days} days)", "",
             "| action | opened | submitted | approved | fulfilled | abandoned | first decision p50 | completion p50 "
             "| completion p90 | 👍 | escalated | SLA met | self-service | hours saved |",
             "|" + "---|" * 14, *(_row(a) for a in report.actions), _row(report.total), ""]
    for f in report.actions:
        if not (f.submitted or f.opened):
            continue
        lines += [f"## {f.title} (`{f.action_id}`)", "", f"- Funnel: {funnel(f)}",
                  f"- Time to first decision: {spread(f.first_decision)}; to completion: {spread(f.completion)}"]
        lines += [f"- Step {s.step + 1}: {s.reached} reached, {s.approved} approved, {s.rejected} rejected, "
                  f"{s.cancelled} cancelled, {s.waiting} waiting; {spread(s.time)}" for s in f.steps]
        if f.failed_fields:
            lines.append("- Failed validations: " + ", ".join(f"`{n}` {c}" for n, c in f.failed_fields))
        lines += [f"- Satisfaction: {f.up} 👍, {f.down} 👎"] + [f"  > {' '.join(c.split())}" for c in f.comments]
        lines.append("")
    return "\n".join(lines)
