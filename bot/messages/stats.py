"""``/selfserve stats``: the period's overview (busiest actions, worst funnels, slowest steps) or
one action in detail, as Block Kit."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, SectionBlock

from bot import ids
from bot.messages import Message
from bot.messages.summary import md
from bot.mrkdwn import escape, truncate
from domain.analytics import Report
from domain.analytics_figures import Figures
from domain.analytics_text import duration, funnel, hours, percent, spread


def _overview_fields(f: Figures) -> list[str]:
    return [
        f"*Requests*\n{f.submitted} · {f.completed} completed",
        f"*Satisfaction*\n{percent(f.satisfaction)} 👍 ({f.up + f.down} answers)",
        f"*Self-service utilization*\n{percent(f.utilization)}",
        f"*Hours saved*\n{hours(f.hours_saved)}",
        f"*Escalation rate*\n{percent(f.escalation_rate)}",
        f"*Service-level compliance*\n{percent(f.sla_compliance)}",
        f"*First decision*\n{spread(f.first_decision)}",
        f"*Completion*\n{spread(f.completion)}",
    ]


def _fields(texts: list[str]) -> SectionBlock:
    return SectionBlock(fields=[md(text) for text in texts])


def _lines(title: str, lines: list[str]) -> SectionBlock:
    return SectionBlock(text=md(truncate(f"*{title}*\n" + ("\n".join(lines) or "Nothing yet."), 3000)))


def _name(f: Figures) -> str:
    return f"`{escape(f.action_id)}` {escape(truncate(f.title, 60))}"


def stats_overview(report: Report) -> Message:
    blocks: list[Block] = [
        HeaderBlock(text=f"Self-service · last {report.days} days"),
        _fields(_overview_fields(report.total)),
        _lines("Busiest actions", [f"{_name(a)}: {a.submitted} requests, {a.completed} completed, "
                                   f"{a.people} people" for a in report.busiest()]),
        _lines("Worst funnels", [f"{_name(a)}: {funnel(a)} ({percent(a.completed / a.opened)} completed)"
                                 for a in report.worst_funnels()]),
        _lines("Slowest steps", [f"{_name(a)} step {s.step + 1}: p50 {duration(s.time.p50)}, "
                                 f"p90 {duration(s.time.p90)}" for a, s in report.slowest_steps()]),
        ContextBlock(elements=[md(f"`{ids.COMMAND} stats <action> [--days N]` shows one action in detail.")]),
    ]
    return Message(text=f"Self-service statistics, last {report.days} days", blocks=tuple(blocks))


def stats_action(report: Report, f: Figures) -> Message:
    steps = [f"Step {s.step + 1}: {s.reached} reached, {s.approved} approved, {s.rejected} rejected, "
             f"{s.cancelled} cancelled, {s.waiting} waiting · {spread(s.time)}" for s in f.steps]
    stumbles = [f"`{escape(field)}`: {count}" for field, count in f.failed_fields[:10]]
    comments = [f"> {escape(truncate(' '.join(c.split()), 200))}" for c in f.comments]
    blocks: list[Block] = [
        HeaderBlock(text=truncate(f"{f.title} · {report.days} days", 150)),
        SectionBlock(text=md(f"*Funnel*\n{funnel(f)} ({f.closed_unsent} closed, {f.idle_unsent} left open)\n"
                             f"{f.rejected} rejected · {f.cancelled} cancelled · {f.pending} pending")),
        _fields(_overview_fields(f)),
        _lines("Drop-off per approval step", steps) if f.steps else DividerBlock(),
        _lines("Failed validations by field", stumbles),
        _lines(f"Comments ({f.up} 👍 · {f.down} 👎)", comments),
    ]
    return Message(text=f"Statistics for {f.action_id}, last {report.days} days", blocks=tuple(blocks))
