"""``selfserve report --format html``: one self-contained page (inline CSS and SVG, no script,
nothing fetched), to open offline or attach to a mail."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from cli.report_charts import completion_chart, funnel_chart, hours_chart, satisfaction_chart
from domain.analytics import Report
from domain.analytics_figures import Figures
from domain.analytics_text import duration, hours, percent, spread

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:980px;color:#1d1c1d}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
.tiles{display:flex;flex-wrap:wrap;gap:10px}.tile{border:1px solid #ddd;border-radius:8px;padding:8px 12px;
min-width:150px}.tile b{display:block;font-size:20px}
table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}
svg.chart text{font:12px system-ui,sans-serif;fill:#1d1c1d}svg.chart text.small{font-size:10px}
blockquote{margin:4px 0 4px 12px;color:#555}
"""
TILES: tuple[tuple[str, Callable[[Figures], str]], ...] = (
         ("Requests", lambda f: str(f.submitted)), ("Completed", lambda f: str(f.completed)),
         ("Satisfaction", lambda f: f"{percent(f.satisfaction)} 👍"),
         ("Self-service utilization", lambda f: percent(f.utilization)),
         ("Hours saved", lambda f: hours(f.hours_saved)), ("Escalation rate", lambda f: percent(f.escalation_rate)),
         ("Service-level compliance", lambda f: percent(f.sla_compliance)),
         ("Completion p50 / p90", lambda f: f"{duration(f.completion.p50)} / {duration(f.completion.p90)}"))


def _tiles(f: Figures) -> str:
    return '<div class="tiles">' + "".join(
        f'<div class="tile" data-figure="{escape(name)}">{escape(name)}<b>{escape(show(f))}</b></div>'
        for name, show in TILES) + "</div>"


def _table(report: Report) -> str:
    head = ("action", "opened", "submitted", "approved", "abandoned", "first decision", "completion", "👍",
            "escalated", "hours saved")
    rows = [[f.action_id, f.opened, f.submitted, f.approved, f.abandoned, spread(f.first_decision),
             spread(f.completion), percent(f.satisfaction), percent(f.escalation_rate), hours(f.hours_saved)]
            for f in (*report.actions, report.total)]
    return ("<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>" +
            "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
            + "</table>")


def _details(f: Figures) -> str:
    steps = "".join(f"<li>Step {s.step + 1}: {s.reached} reached, {s.approved} approved, {s.rejected} rejected, "
                    f"{s.cancelled} cancelled, {s.waiting} waiting · {escape(spread(s.time))}</li>" for s in f.steps)
    fields = ", ".join(f"<code>{escape(n)}</code> {c}" for n, c in f.failed_fields) or "none"
    comments = "".join(f"<blockquote>{escape(c)}</blockquote>" for c in f.comments)
    return (f'<section data-action="{escape(f.action_id)}"><h3>{escape(f.title)} <code>{escape(f.action_id)}</code>'
            f"</h3><ul>{steps}<li>Failed validations: {fields}</li></ul>{comments}</section>")


def report_html(report: Report) -> str:
    period = f"{report.since:%Y-%m-%d} to {report.until:%Y-%m-%d} ({report.days} days)"
    details = "".join(_details(f) for f in report.actions if f.submitted or f.opened)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Self-service report, '
            f"{escape(period)}</title><style>{STYLE}</style></head><body>"
            f"<h1>Self-service report</h1><p>{escape(period)}</p>{_tiles(report.total)}"
            f"<h2>Funnel per action</h2>{funnel_chart(report)}"
            f"<h2>Time to completion over time</h2>{completion_chart(report.daily)}"
            f"<h2>Satisfaction</h2>{satisfaction_chart(report)}"
            f"<h2>Hours saved</h2>{hours_chart(report)}"
            f"<h2>Every action</h2>{_table(report)}{details}</body></html>")
