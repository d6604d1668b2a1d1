"""One server through every scenario: closed loop to find capacity, then open loop below it."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from bench.cpu import wait_until_idle
from bench.loadgen import Outcome
from bench.payloads import Shot
from bench.scenarios import SCENARIOS, views_open_delays
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
    """Run one phase between two idle CPU readings, so after-ack work (DMs, updates) is charged too."""
    before = await wait_until_idle(server.pid)
    stub.clear_calls()
    outcome = await run()
    after = await wait_until_idle(server.pid)
    delays = views_open_delays(stub, outcome.sent) if scenario == "open" and server.name != "baseline" else []
    result = summarise(server.name, scenario, phase, outcome.latencies, outcome.errors, outcome.seconds,
                       after - before, delays, target_rate)
    if outcome.first_error:
        result.notes.append(f"first error: {outcome.first_error}")
    if scenario == "open" and server.name != "baseline" and len(delays) < len(outcome.latencies):
        result.notes.append(f"only {len(delays)} of {len(outcome.latencies)} views.open seen")
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
    return (f"{stamp} {r.server:13} {r.scenario:6} {r.phase:11} n={r.requests:<4} err={r.errors} "
            f"{r.throughput:7.1f}/s p50={r.ack_p50_ms}ms p99={r.ack_p99_ms}ms cpu={r.cpu_ms_per_request}ms/req")
