"""The scale scenario: 100,000 requests and 1,000,000 audit events, then the reads that must stay fast
(lookups, the audit export and verification, and ``selfserve report`` over 30 days holding every request).

Queries run through the app's own repository code and CLI, against a fresh database filled
by bench.fill; the CLI runs as a child process so its wall time and peak RSS are its own.
"""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, text, update

from bench import fill
from bench.servers import CATALOG, ROOT, code_env, create_pg_database, drop_pg_database
from bench.stats import ms, percentile
from cli.report import render
from domain.analytics import Analytics
from domain.catalog import load_catalog
from storage.database import Database
from storage.engine import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.models import RequestRow

FULL = (100_000, 1_000_000)
QUICK = (2_000, 20_000)
LOOKUPS, PENDING_QUERIES = 1000, 200


async def _lookups(url: str, n_requests: int) -> dict[str, Any]:
    """Status by id (a reader transaction each, as a handler would) and the pending list."""
    engine = create_engine(url)
    sessions = create_session_factory(engine, read_only=True)
    rng = random.Random(7)
    by_id: list[float] = []
    pending: list[float] = []
    try:
        async with Database(engine) as database:
            for _ in range(LOOKUPS):
                wanted = rng.randint(1, n_requests)
                started = time.perf_counter()
                async with database.reader() as uow:
                    found = await uow.requests.get(wanted)
                by_id.append(time.perf_counter() - started)
                assert found is not None and found.id == wanted
        query = select(RequestRow).where(RequestRow.status == "pending").order_by(RequestRow.id).limit(50)
        for _ in range(PENDING_QUERIES):
            started = time.perf_counter()
            async with sessions() as session:
                rows = (await session.execute(query)).scalars().all()
            pending.append(time.perf_counter() - started)
            assert rows
    finally:
        await engine.dispose()
    return {"status_by_id_p50_ms": ms(percentile(by_id, 50)), "status_by_id_p99_ms": ms(percentile(by_id, 99)),
            "pending_list_p50_ms": ms(percentile(pending, 50)), "pending_list_p99_ms": ms(percentile(pending, 99))}


def _vm_hwm_kib(pid: int) -> int:
    """The process's own peak RSS (VmHWM); 0 once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    except OSError:
        return 0


def _cli(url: str, *args: str, catalog: Path | None = None) -> tuple[float, int, int, str]:
    """Run ``selfserve args`` (stdout to /dev/null); wall seconds, peak RSS in KiB, exit code, stderr.

    Peak RSS is polled from /proc/<pid>/status VmHWM every 20 ms rather than taken from
    wait4's ru_maxrss: Linux carries the parent's high-water mark across fork+exec into
    ru_maxrss, so it would report this (large) benchmark process instead of the CLI.
    VmHWM only grows, so polling can miss at most the last 20 ms of growth.
    """
    env = {**code_env(), "DATABASE_URL": url, **({"CATALOG_PATH": str(catalog)} if catalog else {})}
    peak = 0
    started = time.perf_counter()
    with open(os.devnull, "w") as sink, tempfile.TemporaryFile() as err:
        child = subprocess.Popen([str(ROOT / ".venv" / "bin" / "selfserve"), *args], stdout=sink, stderr=err,
                                 env=env, cwd=str(ROOT))
        while child.poll() is None:
            peak = max(peak, _vm_hwm_kib(child.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        err.seek(0)
        said = err.read().decode(errors="replace")
    return seconds, peak, int(child.returncode), said


async def _into_last_days(url: str, n_requests: int, days: int = 30) -> None:
    """Move every request into the last ``days`` days (the fill spreads them over a year), each
    decided as long after its creation as before: the report then reads all of them."""
    span = days * 86400 * 0.97 / n_requests
    now = datetime.now(UTC)
    moved = update(RequestRow).where(RequestRow.id == bindparam("rid")).values(
        created_at=bindparam("created"), decided_at=bindparam("decided"), updated_at=bindparam("created"))
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            rows = (await conn.execute(select(RequestRow.id, RequestRow.created_at, RequestRow.decided_at))).all()
            params = []
            for r in rows:
                created = now - timedelta(seconds=(r.id - 1) * span + 60)
                params.append({"rid": r.id, "created": created,
                               "decided": None if r.decided_at is None else created + (r.decided_at - r.created_at)})
            await conn.execute(moved, params)
    finally:
        await engine.dispose()


async def _report_compute(url: str) -> float:
    """Seconds to compute the 30-day report and render it as HTML, in this process (the CLI's wall
    time adds the interpreter's start and imports)."""
    catalog = load_catalog(CATALOG)
    engine = create_engine(url)
    try:
        async with Database(engine) as database:
            started = time.perf_counter()
            report = await Analytics(lambda: catalog, database.reader).report(30)
            render(report, "html")
            seconds = time.perf_counter() - started
            assert report.total.submitted > 0
    finally:
        await engine.dispose()
    return seconds


async def _size(url: str, path: str | None) -> int:
    if path:
        return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text("SELECT pg_database_size(current_database())"))).scalar_one())
    finally:
        await engine.dispose()


async def _one(database: str, url: str, sqlite_path: str | None, sizes: tuple[int, int]) -> dict[str, Any]:
    n_requests, n_events = sizes
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    started = time.perf_counter()
    if sqlite_path:
        fill.fill_sqlite(sqlite_path, n_requests, n_events)
    else:
        from sqlalchemy.engine import make_url
        await fill.fill_postgres(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                                 n_requests, n_events)
    result: dict[str, Any] = {"database": database, "requests": n_requests, "audit_events": n_events,
                              "fill_seconds": round(time.perf_counter() - started, 2)}
    print(f"scale {database}: filled in {result['fill_seconds']} s", flush=True)
    result.update(await _lookups(url, n_requests))
    seconds, rss, code, err = _cli(url, "audit", "export", "--format", "jsonl")
    result.update(export_seconds=round(seconds, 2), export_rows_per_s=round(n_events / seconds),
                  export_peak_rss_mb=round(rss / 1024, 1), export_exit=code)
    seconds, rss, code, err = _cli(url, "audit", "verify")
    result.update(verify_seconds=round(seconds, 2), verify_rows_per_s=round(n_events / seconds),
                  verify_peak_rss_mb=round(rss / 1024, 1), verify_exit=code,
                  verify_said=err.strip()[:200] or "intact (exit 0)")
    await _into_last_days(url, n_requests)
    result["report_30d_compute_seconds"] = round(await _report_compute(url), 2)
    seconds, rss, code, err = _cli(url, "report", "--days", "30", "--format", "json", catalog=CATALOG)
    result.update(report_30d_seconds=round(seconds, 2), report_peak_rss_mb=round(rss / 1024, 1), report_exit=code)
    result["database_mb"] = round(await _size(url, sqlite_path) / 2**20, 1)
    print(f"scale {database}: {result}", flush=True)
    return result


async def run(postgres: str | None, quick: bool = False) -> list[dict[str, Any]]:
    sizes = QUICK if quick else FULL
    results = []
    with tempfile.TemporaryDirectory(prefix="selfserve-scale-") as tmp:
        path = str(Path(tmp) / "scale.db")
        results.append(await _one("sqlite", f"sqlite+aiosqlite:///{path}", path, sizes))
    if postgres:
        url, name = await create_pg_database(postgres)
        try:
            results.append(await _one("postgres", url, None, sizes))
        finally:
            await drop_pg_database(postgres, name)
    return results


def verdicts(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Scale targets; they only mean something at full size (1M events)."""
    out = []
    for r in results:
        for target, value, op, limit, unit in (
                ("audit export rows/s", r["export_rows_per_s"], "≥", 50_000, "rows/s"),
                ("audit export peak RSS", r["export_peak_rss_mb"], "<", 200, "MB"),
                ("audit verify rows/s", r["verify_rows_per_s"], "≥", 50_000, "rows/s"),
                ("status lookup p99", r["status_by_id_p99_ms"], "<", 10, "ms"),
                ("report over 30 days of every request", r["report_30d_compute_seconds"], "<", 5, "s")):
            met = value >= limit if op == "≥" else value < limit
            if target.startswith("audit") and r[target.split()[1] + "_exit"] != 0:
                met = False
            if target.startswith("report") and r["report_exit"] != 0:
                met = False
            out.append({"target": target, "server": r["database"], "scenario": "scale", "value": value, "op": op,
                        "limit": limit, "unit": unit, "met": met})
    return out


def table(results: list[dict[str, Any]]) -> str:
    keys = [k for k in results[0] if k != "database"] if results else []
    lines = ["| figure | " + " | ".join(r["database"] for r in results) + " |", "|---|" + "---|" * len(results)]
    lines += [f"| {k} | " + " | ".join(str(r[k]) for r in results) + " |" for k in keys]
    return "\n".join(lines)
