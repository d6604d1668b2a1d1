"""Ratios to bare Bolt, target verdicts, and the JSON / Markdown outputs."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.stats import PhaseResult

CPU_LIMIT = {"help": 3.0, "open": 3.0, "submit": 5.0, "click": 5.0}
NEAR_TIMEOUT_MS = 1000.0  # "nothing near Slack's 3 s": we call anything past 1 s near


def machine() -> dict[str, Any]:
    """Where the numbers came from: they mean little without it."""
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    return {"cpus": os.cpu_count(), "cpu_model": model, "platform": platform.platform(),
            "python": platform.python_version()}


def source(root: Path) -> str:
    """The commit of the tree at ``root``, and which tracked files differ from it, if any."""

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout

    try:
        commit = git("rev-parse", "--short", "HEAD").strip()
        changed = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines()]
    except (OSError, subprocess.CalledProcessError):
        return f"{root} (not a git checkout)"
    if not changed:
        return commit
    more = f" and {len(changed) - 8} more" if len(changed) > 8 else ""
    return f"{commit} with uncommitted changes to {', '.join(changed[:8])}{more}"


def add_ratios(results: Sequence[PhaseResult]) -> None:
    """Each app figure over bare Bolt's for the same scenario and phase of the same run."""
    base = {(r.scenario, r.phase): r for r in results if r.server == "baseline"}
    for r in results:
        b = base.get((r.scenario, r.phase))
        if r.server == "baseline" or b is None:
            continue
        if r.ack_p50_ms and b.ack_p50_ms:
            r.ratio_ack_p50 = round(r.ack_p50_ms / b.ack_p50_ms, 2)
        if r.cpu_ms_per_request is not None and b.cpu_ms_per_request:
            r.ratio_cpu = round(r.cpu_ms_per_request / b.cpu_ms_per_request, 2)


def _cpu_per_request(results: Sequence[PhaseResult], server: str, scenario: str) -> float | None:
    """CPU over all phases of a scenario / its requests: many more 10 ms ticks than any one phase."""
    measured = [(r.cpu_ms_per_request, r.requests) for r in results
                if r.server == server and r.scenario == scenario and r.cpu_ms_per_request is not None]
    count = sum(requests for _, requests in measured)
    return sum(cpu * requests for cpu, requests in measured) / count if count else None


def latency_verdicts(results: Sequence[PhaseResult]) -> list[dict[str, Any]]:
    """The latency targets, one line per app server and scenario."""
    verdicts: list[dict[str, Any]] = []

    def add(target: str, server: str, scenario: str, value: float | None, limit: float, unit: str,
            strict: bool = False) -> None:
        met = value is not None and (value < limit if strict else value <= limit)
        verdicts.append({"target": target, "server": server, "scenario": scenario,
                         "value": None if value is None else round(value, 2), "op": "<" if strict else "≤",
                         "limit": limit, "unit": unit, "met": met})

    servers = sorted({r.server for r in results if r.server != "baseline" and "@" not in r.server})
    for server in servers:
        for scenario in CPU_LIMIT:
            rows = {r.phase: r for r in results if r.server == server and r.scenario == scenario}
            if not rows:
                continue
            c1 = rows.get("closed c=1")
            add("ack p50 at c=1", server, scenario, c1.ack_p50_ms if c1 else None, 3.0, "ms")
            app, bolt = _cpu_per_request(results, server, scenario), _cpu_per_request(results, "baseline", scenario)
            add("CPU/request vs bare Bolt", server, scenario, app / bolt if app and bolt else None,
                CPU_LIMIT[scenario], "x")
            half = rows.get("open 50%")
            add("ack p99 at 50% capacity", server, scenario, half.ack_p99_ms if half else None, 50.0, "ms", strict=True)
            high = rows.get("open 80%")
            add("ack max at 80% capacity", server, scenario, high.ack_max_ms if high else None, NEAR_TIMEOUT_MS, "ms")
    return verdicts


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _pair(p50: float | None, p99: float | None) -> str:
    """An after-ack p50 / p99; "—" where it does not apply (other scenarios, bare Bolt sends no DMs)."""
    return "—" if p50 is None else f"{_fmt(p50)} / {_fmt(p99)}"


def latency_table(results: Sequence[PhaseResult]) -> str:
    head = ("| server | scenario | phase | n | err | req/s | ack p50 | p90 | p99 | max | views.open p50 / p99 "
            "| 1st approver DM p50 / p99 | step DMs updated p50 / p99 | CPU ms/req | p50 ×Bolt | CPU ×Bolt |")
    lines = [head, "|" + "---|" * 16]
    for r in results:
        vo = "–" if r.views_open_p50_ms is None else f"{_fmt(r.views_open_p50_ms)} / {_fmt(r.views_open_p99_ms)}"
        phase = r.phase + (f" ({r.target_rate:g}/s)" if r.target_rate else "")
        lines.append(f"| {r.server} | {r.scenario} | {phase} | {r.requests} | {r.errors} | {_fmt(r.throughput)} "
                     f"| {_fmt(r.ack_p50_ms)} | {_fmt(r.ack_p90_ms)} | {_fmt(r.ack_p99_ms)} | {_fmt(r.ack_max_ms)} "
                     f"| {vo} | {_pair(r.approver_dm_p50_ms, r.approver_dm_p99_ms)} "
                     f"| {_pair(r.step_updated_p50_ms, r.step_updated_p99_ms)} "
                     f"| {_fmt(r.cpu_ms_per_request)} | {_fmt(r.ratio_ack_p50)} | {_fmt(r.ratio_cpu)} |")
    return "\n".join(lines)


def against_table(results: Sequence[PhaseResult], labels: Sequence[str]) -> str:
    """CPU per request of this tree's app next to each other tree's (``--against``), per scenario
    and database: over all five phases (what the targets use) and at closed c=1 alone (the only
    phase where both get the same load: open-loop rates follow each server's own capacity)."""

    def c1(server: str, scenario: str) -> float | None:
        return next((r.cpu_ms_per_request for r in results
                     if r.server == server and r.scenario == scenario and r.phase == "closed c=1"), None)

    def change(new: float | None, old: float | None) -> str:
        return "–" if not new or not old else f"{100 * (new / old - 1):+.0f}%"

    head = "| scenario | server | all phases: this tree |"
    for label in labels:
        head += f" @{label} | change |"
    head += " c=1: this tree |"
    for label in labels:
        head += f" @{label} | change |"
    lines = [head, "|" + "---|" * (4 + 4 * len(labels))]
    scenarios = list(dict.fromkeys(r.scenario for r in results))
    servers = [name for name in ("app-sqlite", "app-postgres") if any(r.server == name for r in results)]
    for scenario in scenarios:
        for server in servers:
            new_all, new_c1 = _cpu_per_request(results, server, scenario), c1(server, scenario)
            if new_all is None:
                continue
            line = f"| {scenario} | {server} | {new_all:.2f} |"
            for label in labels:
                old = _cpu_per_request(results, f"{server}@{label}", scenario)
                line += f" {_fmt(None if old is None else round(old, 2))} | {change(new_all, old)} |"
            line += f" {_fmt(new_c1)} |"
            for label in labels:
                old = c1(f"{server}@{label}", scenario)
                line += f" {_fmt(old)} | {change(new_c1, old)} |"
            lines.append(line)
    return "\n".join(lines)


def verdict_table(verdicts: Sequence[dict[str, Any]]) -> str:
    lines = ["| target | server | scenario | measured | limit | |", "|---|---|---|---|---|---|"]
    for v in verdicts:
        lines.append(f"| {v['target']} | {v['server']} | {v.get('scenario', '')} | {_fmt(v['value'])} {v['unit']} "
                     f"| {v['op']} {_fmt(v['limit'])} "
                     f"{v['unit']} | {'met' if v['met'] else '**missed**'} |")
    return "\n".join(lines)


def write(out_dir: Path, document: dict[str, Any], markdown: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(document, indent=2) + "\n")
    (out_dir / "latest.md").write_text(markdown + "\n")
