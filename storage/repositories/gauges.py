"""Aggregates for ``/metrics`` (``domain.gauges``): one grouped query each."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, bindparam, func, literal_column, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from domain.gauges import QueueDepth
from domain.jobs import PENDING
from storage.driver import Transaction
from storage.driver.statement import Statement
from storage.models import AuditEventRow, JobRow, RequestRow, UTCDateTime, table_of

REQUESTS = table_of(RequestRow)
JOBS = table_of(JobRow)
AUDIT = table_of(AuditEventRow)
BY_STATE = Statement(select(REQUESTS.c.action_id, REQUESTS.c.status, func.count().label("n"))
                     .group_by(REQUESTS.c.action_id, REQUESTS.c.status))
QUEUE = Statement(select(JOBS.c.kind, func.count().label("n"), func.min(JOBS.c.due_at).label("oldest"))
                  .where(JOBS.c.status == PENDING, JOBS.c.due_at <= bindparam("now", type_=UTCDateTime()))
                  .group_by(JOBS.c.kind))


class DetailText(FunctionElement[str]):
    """``DetailText(details, literal_column("step_kind"))``: the audit details' top-level key (a
    name written in the code, rendered in the SQL) as text; NULL when absent."""

    type = String()
    inherit_cache = True
    name = "detail_text"


def _parts(element: DetailText, compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    column, key = element.clauses
    name = str(key)
    if not name.isidentifier():
        raise ValueError(f"detail key {name!r}")
    return compiler.process(column, **kw), name


@compiles(DetailText, "sqlite")
def _detail_text_sqlite(element: DetailText, compiler: SQLCompiler, **kw: Any) -> str:
    column, name = _parts(element, compiler, **kw)
    return f"json_extract({column}, '$.{name}')"


@compiles(DetailText, "postgresql")
def _detail_text_postgresql(element: DetailText, compiler: SQLCompiler, **kw: Any) -> str:
    column, name = _parts(element, compiler, **kw)
    return f"(CAST({column} AS JSON) ->> '{name}')"


_step_kind = DetailText(AUDIT.c.details, literal_column("step_kind"))
_http_status = DetailText(AUDIT.c.details, literal_column("status"))
STEP_ATTEMPTS_OF_KIND = Statement(select(func.count().label("n")).where(
    AUDIT.c.kind == bindparam("kind", type_=String),
    or_(_step_kind == bindparam("step_kind", type_=String), and_(_step_kind.is_(None), _http_status.is_not(None)))))


class GaugeRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def requests_by_state(self) -> dict[tuple[str, str], int]:
        return {(r.action_id, r.status): int(r.n) for r in await self._db.rows(BY_STATE)}

    async def queue_by_kind(self, now: datetime) -> dict[str, QueueDepth]:
        found = {}
        for r in await self._db.rows(QUEUE, {"now": now}):
            found[r.kind] = QueueDepth(int(r.n), max((now - r.oldest).total_seconds(), 0.0) if r.oldest else 0.0)
        return found

    async def step_attempt_counts(self, kinds: Collection[str], step_kind: str) -> dict[str, int]:
        """Audit events of each of ``kinds`` about a ``step_kind`` step (one index range each:
        ``ix_audit_events_kind_time``, the details read only for the events of the kind)."""
        params = {"step_kind": step_kind}
        return {kind: int((await self._db.rows(STEP_ATTEMPTS_OF_KIND, {**params, "kind": kind}))[0].n)
                for kind in kinds}
