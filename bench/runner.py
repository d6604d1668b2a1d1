"""One server through every scenario: closed loop to find capacity, then open loop below it."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from bench.cpu import wait_until_idle
from bench.loadgen import Outcome
from bench.payloads import Shot
from bench.scenarios import AFTER_ACK, SCENARIOS
from bench.sender import Sender
from bench.servers import Server
from bench.stats import PhaseResult, summarise
from slackstub import SlackStandIn

Prepare = Callable[[str, int], Awaitable[list[Shot]]]


@dataclass(frozen=True)
class Plan:
    """Phase sizes: closed loop by count, open loop by duration (bounded by ``open_max``)."""

    closed: tuple[tuple[int, int], ...] = ((1, 200), (8, 400))  # (concurrency, requests)
    open_fractions: tuple[float, ...] = (0.25, 0.5, 0.8)
    open_seconds: float = 3.0
    open_max: int = 600
    warmup: int = 20


QUICK = Plan(closed=((1, 15), (8, 40)), open_seconds=0.5, open_max=40, warmup=3)


async def _measure(server: Server, stub: SlackStandIn, scenario: str, phase: str,
                   run: Callable[[], Awaitable[Outcome]], target_rate: float | None = None) -> PhaseResult:
    """Run one phase between two idle CPU readings, so after-ack work (DMs, updates) is charged too.

    The after-ack delays are read once the server is idle again, so every DM it sent is in.
    """
    before = await wait_until_idle(server.pid)
    stub.clear_calls()
    outcome = await run()
    after = await wait_until_idle(server.pid)
    measure = AFTER_ACK.get(scenario) if server.name != "baseline" else None
    delays = measure(stub, outcome.sent) if measure else []
    result = summarise(server.name, scenario, phase, outcome.latencies, outcome.errors, outcome.seconds,
                       after - before, delays if scenario == "open" else (), target_rate,
                       delays if scenario == "submit" else (), delays if scenario == "click" else ())
    if outcome.first_error:
        result.notes.append(f"first error: {outcome.first_error}")
    if measure and len(delays) < len(outcome.latencies):
        result.notes.append(f"after-ack call seen for only {len(delays)} of {len(outcome.latencies)} requests")
    return result


async def run_server(server: Server, stub: SlackStandIn, prepare: Prepare, plan: Plan, sender: Sender,
                     scenarios: tuple[str, ...] = SCENARIOS, log: Callable[[str], None] = print) -> list[PhaseResult]:
    """``scenarios`` on ``server``; open-loop rates are fractions of the capacity found here."""
    results: list[PhaseResult] = []
    url = server.events_url
    for scenario in scenarios:
        await sender.closed(url, await prepare(scenario, plan.warmup), 2)  # warm caches, connections
        capacity = 0.0
        for concurrency, count in plan.closed:
            shots = await prepare(scenario, count)
            result = await _measure(server, stub, scenario, f"closed c={concurrency}",
                                    partial(sender.closed, url, shots, concurrency))
            capacity = max(capacity, result.throughput)
            results.append(result)
            log(_line(result))
        for fraction in plan.open_fractions:
            rate = capacity * fraction
            if rate <= 0:
                continue
            count = max(1, min(plan.open_max, int(rate * plan.open_seconds)))
            shots = await prepare(scenario, count)
            result = await _measure(server, stub, scenario, f"open {int(fraction * 100)}%",
                                    partial(sender.open, url, shots, rate), target_rate=rate)
            results.append(result)
            log(_line(result))
    return results


def _line(r: PhaseResult) -> str:
    stamp = time.strftime("%H:%M:%S")
    after = [(name, p50, p99) for name, p50, p99 in (
        ("views.open", r.views_open_p50_ms, r.views_open_p99_ms),
        ("approver DM", r.approver_dm_p50_ms, r.approver_dm_p99_ms),
        ("step updated", r.step_updated_p50_ms, r.step_updated_p99_ms)) if p50 is not None]
    tail = "".join(f" {name} p50/p99={p50}/{p99}ms" for name, p50, p99 in after)
    return (f"{stamp} {r.server:22} {r.scenario:6} {r.phase:11} n={r.requests:<4} err={r.errors} "
            f"{r.throughput:7.1f}/s ack p50={r.ack_p50_ms}ms p99={r.ack_p99_ms}ms "
            f"cpu={r.cpu_ms_per_request}ms/req{tail}")
