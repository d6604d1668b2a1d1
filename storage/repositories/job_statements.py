"""The job table's statements, written once with SQLAlchemy Core (see ``storage.driver.statement``).

Claims and purges pick their rows in a CTE that PostgreSQL must materialize (see ``_claim``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, case, delete, func, or_, select, update

from domain.jobs import CANCELLED, DONE, FAILED, PENDING
from storage.driver.statement import InsertMany, PerSize, Statement, numbered
from storage.models import JobChoreRow, JobRow, table_of

JOBS = table_of(JobRow)
CHORES = table_of(JobChoreRow)
JOB_COLUMNS = (JOBS.c.id, JOBS.c.kind, JOBS.c.key, JOBS.c.request_id, JOBS.c.payload, JOBS.c.attempts,
               JOBS.c.due_at, JOBS.c.throttled)
ERROR_KEPT = 2000  # characters of a failure kept in last_error
IDS_PER_STATEMENT = 100
CHANNEL = "selfserve_jobs"  # PostgreSQL NOTIFY channel that wakes idle workers

INSERT_JOBS = InsertMany(JOBS, ["kind", "key", "request_id", "payload", "status", "attempts", "throttled",
                                "due_at", "lease_until", "owner", "created_at"],
                         returning=["id", "key"])  # the rest is what was inserted


_CLAIM_OF_JOB = and_(JOBS.c.id == bindparam("job_id"), JOBS.c.attempts == bindparam("attempts", type_=Integer),
                     JOBS.c.status == PENDING)


def _claims(size: int) -> Any:
    """``(id = :id_0 AND attempts = :attempts_0) OR …``: each job still under the caller's claim."""
    return or_(*(and_(JOBS.c.id == bindparam(job_id, type_=Integer),
                      JOBS.c.attempts == bindparam(attempts, type_=Integer))
                 for job_id, attempts in zip(numbered("id", size), numbered("attempts", size), strict=True)))


def _ids_in(size: int) -> Any:
    return JOBS.c.id.in_([bindparam(name, type_=Integer) for name in numbered("id", size)])


def _in(column: Any, name: str, size: int) -> Any:
    return column.in_([bindparam(each, type_=String) for each in numbered(name, size)])


def _claimable(kinds: int) -> Any:
    """Pending, due, not leased (or its lease ran out), and of one of ``kinds`` kinds (0: any kind)."""
    return and_(JOBS.c.status == PENDING, JOBS.c.due_at <= bindparam("now"),
                or_(JOBS.c.lease_until.is_(None), JOBS.c.lease_until < bindparam("now")),
                *([_in(JOBS.c.kind, "kind", kinds)] if kinds else []))


def _claim(kinds: int) -> Any:
    """The due rows are picked in a CTE that PostgreSQL must materialize: as an ``IN (subquery)``
    it may run the subquery again for every row it updates, each run skipping the rows the
    earlier ones locked, so the batch grew past its ``LIMIT`` (up to every due job)."""
    due = (select(JOBS.c.id).where(_claimable(kinds)).order_by(JOBS.c.due_at, JOBS.c.id)
           .limit(bindparam("limit", type_=Integer)).with_for_update(skip_locked=True)
           .cte("due").prefix_with("MATERIALIZED", dialect="postgresql"))
    return (update(JOBS).where(JOBS.c.id.in_(select(due.c.id)), _claimable(kinds))
            .values(lease_until=bindparam("lease_until"), owner=bindparam("owner", type_=String),
                    attempts=JOBS.c.attempts + 1)
            .returning(*JOB_COLUMNS))


CLAIM = PerSize(_claim)
COMPLETE = PerSize(lambda size: update(JOBS).where(_claims(size), JOBS.c.status == PENDING)
                   .values(status=DONE, done_at=bindparam("now"), lease_until=None).returning(JOBS.c.id))
FAIL = Statement(update(JOBS).where(_CLAIM_OF_JOB).values(
    status=FAILED, done_at=bindparam("now"), lease_until=None, last_error=bindparam("error")))
RETRY_LATER = Statement(update(JOBS).where(_CLAIM_OF_JOB).values(
    due_at=bindparam("at"), lease_until=None, last_error=bindparam("error"),
    throttled=JOBS.c.throttled + bindparam("uncounted", type_=Integer)))
# Only what the owner still holds: a job released already, or claimed by someone else since, is left alone
# (a second release would undo an attempt another claim counted).
_HELD = and_(JOBS.c.status == PENDING, JOBS.c.lease_until.is_not(None),
             JOBS.c.owner == bindparam("owner", type_=String))
RELEASE = PerSize(lambda size: update(JOBS).where(_ids_in(size), _HELD)
                  .values(lease_until=None, attempts=JOBS.c.attempts - 1))
RELEASE_COUNTED = PerSize(lambda size: update(JOBS).where(_ids_in(size), _HELD).values(lease_until=None))
CANCEL = Statement(update(JOBS).where(JOBS.c.request_id == bindparam("rid"), JOBS.c.status == PENDING,
                                      JOBS.c.kind.startswith(bindparam("prefix", type_=String), escape="/"))
                   .values(status=CANCELLED, done_at=bindparam("now"), lease_until=None))
NEXT_DUE = PerSize(lambda kinds: select(func.min(func.coalesce(JOBS.c.lease_until, JOBS.c.due_at)).label("at"))
                   .where(JOBS.c.status == PENDING, *([_in(JOBS.c.kind, "kind", kinds)] if kinds else [])))
# Due before a moment and not held by anyone since: nobody has claimed these (no process runs their kind, or
# the queue is that far behind).
_UNCLAIMED = and_(JOBS.c.status == PENDING, JOBS.c.due_at <= bindparam("before"),
                  or_(JOBS.c.lease_until.is_(None), JOBS.c.lease_until <= bindparam("before")))
UNCLAIMED = Statement(select(JOBS.c.kind, func.count().label("jobs")).where(_UNCLAIMED).group_by(JOBS.c.kind))
LIST_UNCLAIMED = Statement(select(JOBS).where(_UNCLAIMED).order_by(JOBS.c.id.desc())
                           .limit(bindparam("limit", type_=Integer)))
_IS_DUE = JOBS.c.due_at <= bindparam("now")
STATS = Statement(select(func.count(case((_IS_DUE, 1))).label("due"),
                         func.count(case((_IS_DUE, None), else_=1)).label("scheduled"),
                         func.min(JOBS.c.due_at).label("oldest"))
                  .where(JOBS.c.status == PENDING))
LIST = PerSize(lambda size: select(JOBS).where(_in(JOBS.c.status, "status", size))
               .order_by(JOBS.c.id.desc()).limit(bindparam("limit", type_=Integer)))
GET = Statement(select(JOBS).where(JOBS.c.id == bindparam("job_id", type_=Integer)))
REQUEUE = Statement(update(JOBS).where(JOBS.c.id == bindparam("job_id"), JOBS.c.status == FAILED)
                    # attempts=1, not 0: the next claim is attempt 2, so its handler looks for what the
                    # failed attempts may have done (a DM Slack stored before failing) before acting again
                    .values(status=PENDING, attempts=1, throttled=0, due_at=bindparam("now"), lease_until=None,
                            owner=None, done_at=None).returning(*JOBS.c))
TAKE_CHORE = Statement(update(CHORES).where(CHORES.c.name == bindparam("name", type_=String),
                                           CHORES.c.due_at <= bindparam("now"))
                       .values(due_at=bindparam("next")))
_FINISHED = or_(and_(or_(JOBS.c.status == DONE, JOBS.c.status == CANCELLED),
                     JOBS.c.done_at < bindparam("done_before")),
                and_(JOBS.c.status == FAILED, JOBS.c.done_at < bindparam("failed_before")))
# A materialized CTE for the reason given at _claim; SKIP LOCKED: a row someone holds is left for the next run.
_PURGEABLE = (select(JOBS.c.id).where(_FINISHED).limit(bindparam("limit", type_=Integer))
              .with_for_update(skip_locked=True).cte("purgeable").prefix_with("MATERIALIZED", dialect="postgresql"))
# RETURNING, to count: Python's sqlite3 reports no rowcount for a statement that starts with WITH.
PURGE = Statement(delete(JOBS).where(JOBS.c.id.in_(select(_PURGEABLE.c.id))).returning(JOBS.c.id))
NOTIFY = Statement(select(func.pg_notify(bindparam("channel", type_=String), "").label("notified")))
