"""The report's charts as inline SVG: no script, no external asset, readable offline.

Every bar carries ``data-value`` and a visible label with its number, so a reader (and the
browser test) sees the figure, not just a length.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from domain.analytics import Day, Report
from domain.analytics_text import hours, percent

STAGES = (("opened", "#8e9aaf"), ("submitted", "#4a7bd0"), ("approved", "#2e9e5b"), ("fulfilled", "#1b6e3c"))
LABEL_W, BAR_W, ROW_H = 150, 420, 18


def _svg(name: str, title: str, width: int, height: int, body: Sequence[str]) -> str:
    return (f'<svg class="chart" data-chart="{name}" role="img" aria-label="{escape(title)}" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
            f'<title>{escape(title)}</title>{"".join(body)}</svg>')


def _bar(x: float, y: float, width: float, color: str, value: str, **data: str) -> str:
    attributes = " ".join(f'data-{key}="{escape(item)}"' for key, item in data.items())
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 1):.1f}" height="{ROW_H - 4}" fill="{color}" '
            f'data-value="{escape(value)}" {attributes}/>'
            f'<text x="{x + max(width, 1) + 4:.1f}" y="{y + ROW_H - 7:.1f}" class="value">{escape(value)}</text>')


def _label(y: float, text: str) -> str:
    return f'<text x="0" y="{y + ROW_H - 7:.1f}" class="label">{escape(text[:22])}</text>'


def funnel_chart(report: Report) -> str:
    """Per action, one bar per stage, scaled to the most forms opened (or requests) of any action."""
    actions = [a for a in report.actions if a.opened or a.submitted]
    top = max([max(a.opened, a.submitted) for a in actions] or [1]) or 1
    body, y = [], 0.0
    for a in actions:
        body.append(_label(y, a.action_id))
        for stage, color in STAGES:
            value = getattr(a, stage)
            body.append(_bar(LABEL_W, y, BAR_W * value / top, color, str(value), action=a.action_id, stage=stage))
            y += ROW_H
        y += 8
    legend = [f'<text x="{LABEL_W + i * 100}" y="{y + 12}" class="legend" style="fill:{c}">■ {s}</text>'
              for i, (s, c) in enumerate(STAGES)]
    return _svg("funnel", "Funnel per action", LABEL_W + BAR_W + 60, int(y) + 20, [*body, *legend])


def completion_chart(days: Sequence[Day]) -> str:
    """Median hours to completion per day (a column per day with completions, labelled)."""
    height, width, step = 160, 640, 640 / max(len(days), 1)
    top = max([d.p50 or 0 for d in days] + [1.0])
    body = [f'<line x1="0" y1="{height}" x2="{width}" y2="{height}" stroke="#999"/>']
    for i, d in enumerate(days):
        if not d.completed:
            continue
        bar = (height - 20) * (d.p50 or 0) / top
        value = hours((d.p50 or 0) / 3600)
        body.append(f'<rect x="{i * step + 1:.1f}" y="{height - max(bar, 1):.1f}" width="{max(step - 2, 1):.1f}" '
                    f'height="{max(bar, 1):.1f}" fill="#4a7bd0" data-day="{d.day}" data-value="{value}" '
                    f'data-completed="{d.completed}"><title>{d.day}: {d.completed} completed, median {value}'
                    f'</title></rect>')
        body.append(f'<text x="{i * step + step / 2:.1f}" y="{height - max(bar, 1) - 3:.1f}" class="value small" '
                    f'text-anchor="middle">{escape(value)}</text>')
    first, last = (days[0].day, days[-1].day) if days else ("", "")
    body.append(f'<text x="0" y="{height + 14}" class="label">{first}</text>'
                f'<text x="{width}" y="{height + 14}" class="label" text-anchor="end">{last}</text>')
    return _svg("completion", "Median time to completion per day", width, height + 20, body)


def satisfaction_chart(report: Report) -> str:
    """Per action with answers: 👍 and 👎 side by side as one bar, the share of 👍 as its label."""
    rated = [a for a in report.actions if a.up + a.down]
    body = []
    for row, a in enumerate(rated):
        y, share = row * (ROW_H + 6), a.up / (a.up + a.down)
        body += [_label(y, a.action_id),
                 f'<rect x="{LABEL_W}" y="{y}" width="{BAR_W * share:.1f}" height="{ROW_H - 4}" fill="#2e9e5b" '
                 f'data-action="{escape(a.action_id)}" data-value="{a.up}" data-kind="up"/>',
                 f'<rect x="{LABEL_W + BAR_W * share:.1f}" y="{y}" width="{BAR_W * (1 - share):.1f}" '
                 f'height="{ROW_H - 4}" fill="#d0463c" data-action="{escape(a.action_id)}" data-value="{a.down}" '
                 f'data-kind="down"/>',
                 f'<text x="{LABEL_W + BAR_W + 4}" y="{y + ROW_H - 7}" class="value">'
                 f'{percent(share)} 👍 ({a.up}/{a.up + a.down})</text>']
    return _svg("satisfaction", "Satisfaction per action", LABEL_W + BAR_W + 120,
                max(len(rated), 1) * (ROW_H + 6), body)


def hours_chart(report: Report) -> str:
    saved = [a for a in report.actions if a.hours_saved]
    top = max([a.hours_saved or 0 for a in saved] or [1.0])
    body = []
    for row, a in enumerate(saved):
        y = row * (ROW_H + 6)
        body += [_label(y, a.action_id),
                 _bar(LABEL_W, y, BAR_W * (a.hours_saved or 0) / top, "#c98a1b", hours(a.hours_saved),
                      action=a.action_id)]
    return _svg("hours", "Hours saved per action", LABEL_W + BAR_W + 80, max(len(saved), 1) * (ROW_H + 6), body)
