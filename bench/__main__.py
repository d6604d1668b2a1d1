"""``python -m bench [--postgres URL] [--quick] [--skip-scale] [--scenarios a,b] [--profile DIR] [--against DIR]``:
run everything, write and print the report.

All servers start first and stay up; then each scenario runs on every server in turn
(app on SQLite, app on PostgreSQL, bare Bolt), so an app's figures and the baseline's they
are divided by are taken within a minute of each other. On a shared machine whose speed
drifts by 2x over minutes, that matters more than anything else about the ratios. Order
within a scenario matters too: the baseline copies the modal and approval DM the app on
SQLite produced. ``--against DIR`` adds the app from another source tree (an older commit's
``git worktree``) right after this tree's on each database, for a before/after comparison
taken minutes apart on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench import report
from bench.payloads import Shot, ShotMaker
from bench.profile import Sampler
from bench.runner import QUICK, Plan, run_server
from bench.scenarios import SCENARIOS, Templates, prepare_app, prepare_baseline
from bench.sender import Sender
from bench.servers import (
    BOT_TOKEN,
    CATALOG,
    SIGNING_SECRET,
    Server,
    create_pg_database,
    drop_pg_database,
    start_app,
    start_baseline,
)
from bench.stats import PhaseResult
from domain.catalog import load_catalog
from slackstub import SlackStandIn

HERE = Path(__file__).resolve().parent


async def _stand_in() -> SlackStandIn:
    """A fresh stand-in with the catalog's people; triggers live long because shots are built ahead."""
    stub = SlackStandIn(bot_token=BOT_TOKEN, trigger_ttl=3600.0)
    await stub.start()
    catalog = load_catalog(str(CATALOG))
    for user_id in sorted({m for role in catalog.roles.values() for m in role.members} | {"U0EMPLOYEE"}):
        stub.add_user(user_id, name=user_id.lower(), real_name=f"User {user_id}")
    return stub


@dataclass(frozen=True)
class Options:
    plan: Plan
    scenarios: tuple[str, ...]
    profile: Path | None
    against: tuple[tuple[str, Path], ...] = ()  # (label, source tree) of other code to run beside this


def _label(tree: Path) -> str:
    """Short commit of another tree, ``+`` when it has uncommitted changes; else its directory name."""
    state = report.source(tree)
    commit = state.split(" ")[0]
    if commit == str(tree):
        return tree.name
    return commit + ("+" if " with uncommitted" in state else "")


@dataclass(frozen=True)
class Running:
    """A server that is up, with its stand-in and a way to prepare each scenario's traffic."""

    server: Server
    stub: SlackStandIn
    prepare: Callable[[str, int], Awaitable[list[Shot]]]


@asynccontextmanager
async def _profiled(name: str, pid: int, options: Options) -> AsyncIterator[None]:
    """Sample ``pid`` with py-spy while the block runs, when ``--profile`` was given."""
    if options.profile is None:
        yield
        return
    sampler = await Sampler.attach(pid, options.profile / f"{name}.txt")
    try:
        yield
    finally:
        print(await sampler.stop())


@asynccontextmanager
async def _app(name: str, database_url: str, options: Options, templates: Templates,
               code: Path = HERE.parent) -> AsyncIterator[Running]:
    stub = await _stand_in()
    server = await start_app(name, stub.api_url, database_url, code)
    maker = ShotMaker(stub, SIGNING_SECRET)
    session = aiohttp.ClientSession()  # for preparing traffic; the timed phases use the sender's

    async def prepare(scenario: str, n: int) -> list[Shot]:
        return await prepare_app(scenario, n, maker, stub, session, server.events_url, templates)

    try:
        async with _profiled(name, server.pid, options):
            yield Running(server, stub, prepare)
    finally:
        await session.close()
        await server.stop()
        await stub.stop()


@asynccontextmanager
async def _baseline(options: Options, templates: Templates) -> AsyncIterator[Running]:
    stub = await _stand_in()
    server = await start_baseline(stub.api_url)
    maker = ShotMaker(stub, SIGNING_SECRET)

    async def prepare(scenario: str, n: int) -> list[Shot]:
        return prepare_baseline(scenario, n, maker, templates)

    try:
        async with _profiled("baseline", server.pid, options):
            yield Running(server, stub, prepare)
    finally:
        await server.stop()
        await stub.stop()


@asynccontextmanager
async def _postgres_database(postgres: str) -> AsyncIterator[str]:
    url, name = await create_pg_database(postgres)
    try:
        yield url
    finally:
        await drop_pg_database(postgres, name)


async def latency(postgres: str | None, options: Options) -> list[PhaseResult]:
    templates = Templates()
    results: list[PhaseResult] = []
    async with AsyncExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="selfserve-bench-"))
        trees = [("", HERE.parent), *((f"@{label}", tree) for label, tree in options.against)]
        servers: list[Running] = []
        for suffix, tree in trees:
            name = f"app-sqlite{suffix}"
            servers.append(await stack.enter_async_context(
                _app(name, f"sqlite+aiosqlite:///{tmp}/{name}.db", options, templates, tree)))
        if postgres:
            for suffix, tree in trees:
                url = await stack.enter_async_context(_postgres_database(postgres))
                servers.append(await stack.enter_async_context(
                    _app(f"app-postgres{suffix}", url, options, templates, tree)))
        servers.append(await stack.enter_async_context(_baseline(options, templates)))
        sender = Sender()
        stack.callback(sender.close)
        for scenario in options.scenarios:
            for running in servers:
                results += await run_server(running.server, running.stub, running.prepare, options.plan,
                                            sender, (scenario,))
    report.add_ratios(results)
    return results


async def main(args: argparse.Namespace) -> int:
    started = time.time()
    scenarios = tuple(args.scenarios.split(",")) if args.scenarios else SCENARIOS
    against = tuple((_label(tree), tree.resolve()) for tree in args.against or ())
    options = Options(QUICK if args.quick else Plan(), scenarios, args.profile, against)
    code = report.source(HERE.parent)
    others = {label: report.source(tree) for label, tree in against}
    results = await latency(args.postgres, options)
    verdicts = report.latency_verdicts(results)
    document: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)), "quick": args.quick,
        "machine": report.machine(), "code": code, "against": others, "latency": [r.to_json() for r in results],
        "targets": verdicts}
    sections = ["## Latency and CPU", report.latency_table(results)]
    if against:
        sections += ["## CPU per request against other code",
                     "CPU ms per request over all five phases, and at closed c=1 alone (the same load for "
                     "both; open-loop rates follow each server's own capacity). " + "; ".join(
                         f"@{label}: {tree} at {others[label]}" for label, tree in against) + ".",
                     report.against_table(results, [label for label, _ in against])]
    if not args.skip_scale:
        from bench import scale

        scale_results = await scale.run(args.postgres, quick=args.quick)
        document["scale"] = scale_results
        scale_verdicts = scale.verdicts(scale_results)
        verdicts += scale_verdicts
        sections += ["## Scale", scale.table(scale_results)]
    sections += ["## Targets", report.verdict_table(verdicts)]
    m = document["machine"]
    header = (f"Run {document['started']} on {m['cpus']} CPUs ({m['cpu_model']}), {m['platform']}, "
              f"Python {m['python']}, code at {code}"
              f"{' — QUICK smoke run, numbers not meaningful' if args.quick else ''}.")
    markdown = "\n\n".join([header, *sections])
    report.write(HERE / "results", document, markdown)
    if not args.quick and scenarios == SCENARIOS and not args.skip_scale:
        (HERE / "RESULTS.md").write_text("# Latest benchmark results\n\n" + markdown + "\n")
    print(markdown)
    return 0


def cli() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--postgres", metavar="URL", help="also run on a fresh database on this PostgreSQL server")
    parser.add_argument("--quick", action="store_true", help="tiny phases: checks the script, not the app")
    parser.add_argument("--skip-scale", action="store_true", help="skip the 100k requests / 1M audit events part")
    parser.add_argument("--scenarios", metavar="LIST",
                        help=f"comma-separated subset of {','.join(SCENARIOS)} (default: all)")
    parser.add_argument("--profile", metavar="DIR", type=Path,
                        help="sample each server with py-spy; collapsed stacks and a summary go to DIR")
    parser.add_argument("--against", metavar="DIR", type=Path, action="append",
                        help="also run the app from the source tree DIR (e.g. a git worktree of an older commit) "
                             "beside this one, with this virtualenv; repeatable")
    args = parser.parse_args()
    unknown = set((args.scenarios or "").split(",")) - set(SCENARIOS) - {""}
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}")
    return asyncio.run(main(args))


if __name__ == "__main__":
    raise SystemExit(cli())
