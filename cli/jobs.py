"""``selfserve jobs [--failed | --unclaimed]`` and ``selfserve jobs retry ID``."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime
from typing import TextIO, TypeVar

from bot.config import ConfigError
from cli.common import EXIT_OK, EXIT_PROBLEM, fail_config, open_database
from domain.job_desk import UNCLAIMED_AFTER, JobDesk, NotRetryable, QueueView
from domain.ports import JobStats
from domain.records import JobState, request_ref

T = TypeVar("T")
ERROR_SHOWN = 70  # characters of a job's last error in the listing


def operator() -> str:
    """Who runs the command, for the audit log (``cli:<login>``)."""
    name = "unknown"
    with suppress(Exception):  # no login name in some containers
        name = getpass.getuser()
    return f"cli:{name}"[:64]


async def _with_desk(work: Callable[[JobDesk], Awaitable[T]]) -> T:
    async with open_database() as database:
        return await work(JobDesk(database.unit_of_work, database.reader))


async def show(failed_only: bool, limit: int, out: TextIO, unclaimed_only: bool = False) -> int:
    try:
        view = await _with_desk(lambda desk: desk.overview(failed_only=failed_only, unclaimed_only=unclaimed_only,
                                                           limit=limit))
    except ConfigError as error:
        return fail_config(error)
    out.write(summary(view.stats) + "\n")
    if view.unclaimed:
        out.write(unclaimed(view) + "\n")
    out.write(table(view.jobs))
    return EXIT_OK


async def retry(job_id: int, out: TextIO) -> int:
    try:
        job = await _with_desk(lambda desk: desk.retry(job_id, operator()))
    except ConfigError as error:
        return fail_config(error)
    except NotRetryable as error:
        print(f"selfserve: {error}", file=sys.stderr)
        return EXIT_PROBLEM
    about = f", {request_ref(job.request_id)}" if job.request_id else ""
    out.write(f"job {job.id} ({job.kind}{about}) is due again; its last error was: {job.last_error or '-'}\n")
    return EXIT_OK


def summary(stats: JobStats) -> str:
    waiting = f", the oldest waiting {stats.oldest_due_seconds:.0f} s" if stats.due else ""
    return f"{stats.due} due{waiting}; {stats.scheduled} scheduled for later"


def unclaimed(view: QueueView) -> str:
    kinds = ", ".join(f"{kind} ({count})" for kind, count in sorted(view.unclaimed.items()))
    minutes = UNCLAIMED_AFTER.total_seconds() / 60
    return (f"unclaimed for over {minutes:.0f} min: {sum(view.unclaimed.values())} jobs of kinds {kinds}; no running"
            " process handles them, or the queue is that far behind (selfserve jobs --unclaimed lists them)")


def table(jobs: list[JobState]) -> str:
    rows = [("ID", "KIND", "REQUEST", "STATUS", "TRIES", "DUE", "LAST ERROR")]
    for job in jobs:
        error = " ".join((job.last_error or "").split())
        rows.append((str(job.id), job.kind, request_ref(job.request_id) if job.request_id else "-", job.status,
                     str(job.attempts), _when(job.due_at),
                     error if len(error) <= ERROR_SHOWN else error[:ERROR_SHOWN - 1] + "…"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n"
                   for row in rows)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")
