"""The hot path's driver: same stored values as SQLAlchemy, safe waits, real connections."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, aclosing, asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Integer, bindparam, select, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.sqltypes import NullType

import storage.audit_reader
import storage.driver.postgres
import storage.driver.sqlite
import storage.repositories.audit
import storage.repositories.jobs
import storage.repositories.requests
from domain.ports import DuplicateSubmission
from domain.records import Answer, AuditEntry, Job, NewJob, NewRequest, Step
from storage.database import Database
from storage.driver import Driver, IntegrityViolation, Transaction, pages
from storage.driver.sqlite import Checkpointer, SqliteDriver
from storage.driver.statement import InsertMany, PerSize, Statement, padded
from storage.engine import create_engine, create_session_factory
from storage.models import AuditEventRow, JobRow, RequestRow, table_of
from storage.unit_of_work import UnitOfWork
from tests.audit_log import stored_events, verify_stored
from tests.conftest import PG_URL

REPOSITORIES = (storage.repositories.requests, storage.repositories.jobs, storage.repositories.audit)
MOMENT = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))


def _statements() -> list[Statement]:
    found: list[Statement] = []
    for module in (*REPOSITORIES, storage.audit_reader):
        for value in vars(module).values():
            if isinstance(value, Statement):
                found.append(value)
            elif isinstance(value, dict):
                found += [statement for statement in value.values() if isinstance(statement, Statement)]
            elif isinstance(value, PerSize):
                found += [value(1), value(3)]
            elif isinstance(value, InsertMany):
                found += [statement for statement, _ in value.chunks([{c: None for c in value._columns}] * 2)]
    return found


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql"])
def test_every_parameter_is_typed_so_values_are_stored_as_sqlalchemy_stores_them(dialect_name: str) -> None:
    """An untyped parameter would skip its column's conversion (datetimes, JSON) silently."""
    dialect: Dialect = make_url("sqlite+aiosqlite://" if dialect_name == "sqlite" else "postgresql+asyncpg://").get_dialect()()
    statements = _statements()
    assert len(statements) > 15
    for statement in statements:
        clause: Any = statement.statement  # a Core statement (Executable does not declare compile)
        compiled = clause.compile(dialect=dialect)
        untyped = [name for name, bind in compiled.binds.items() if isinstance(bind.type, NullType)]
        assert not untyped, f"{compiled.string}: untyped {untyped}"


def _new_request(view: str) -> NewRequest:
    return NewRequest("new-employee", "Onboard «Ada»", "U1", (Step("hr", 1, ("hr",)), Step("it", 2, ("it",))), True,
                      (Answer("name", "Name", 'Ada "A" Lovelace\n'), Answer("laptops", "Laptops", 2),
                       Answer("notes", "Notes", None)), "f" * 64, view)


async def test_what_the_driver_writes_the_orm_reads_back_unchanged(engine: AsyncEngine, database: Database) -> None:
    async with database.unit_of_work() as uow:
        written = await uow.requests.add(_new_request("V1"), "pending", MOMENT)
    async with create_session_factory(engine)() as session:
        row = (await session.execute(select(RequestRow).where(RequestRow.id == written.id))).scalar_one()
        assert (row.created_at, row.created_at.utcoffset()) == (MOMENT, timedelta(0))
        assert row.steps == [
            {"role": "hr", "min_approvals": 1, "roles": ["hr"], "approvers": [], "auto": None},
            {"role": "it", "min_approvals": 2, "roles": ["it"], "approvers": [], "auto": None}]
        assert row.answers[0] == {"id": "name", "label": "Name", "value": 'Ada "A" Lovelace\n', "kind": "text",
                                  "shown": None}
        assert (row.allow_self_approval, row.source_view_id, row.decided_at) == (True, "V1", None)
        row.decided_at = MOMENT + timedelta(days=1)  # and what the ORM writes, the driver reads
        await session.commit()
    async with database.reader() as uow:
        read = await uow.requests.get(written.id)
    assert read is not None
    assert read == written.__class__(**{**vars(written), "decided_at": MOMENT + timedelta(days=1)})
    assert read.decided_at is not None and read.decided_at.tzinfo is not None


async def test_a_second_request_for_one_modal_is_refused_and_rolled_back(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.requests.add(_new_request("V-same"), "pending", MOMENT)
    with pytest.raises(DuplicateSubmission) as refused:
        async with database.unit_of_work() as uow:
            await uow.requests.add(_new_request("V-other"), "pending", MOMENT)
            await uow.requests.add(_new_request("V-same"), "pending", MOMENT)
    assert isinstance(refused.value.__cause__, IntegrityViolation)
    async with database.reader() as uow:
        assert await uow.requests.find_by_view("V-other") is None  # the whole transaction rolled back


async def test_many_rows_span_several_statements_in_order(engine: AsyncEngine, database: Database) -> None:
    entries = [AuditEntry("bulk", "ok", f"U{n}", None, {"n": n}) for n in range(InsertMany.SIZES[0] * 2 + 7)]
    async with database.unit_of_work() as uow:
        for entry in entries:
            uow.audit(entry)
        request = await uow.requests.add(_new_request("V-jobs"), "pending", MOMENT)
        for n in range(InsertMany.SIZES[0] + 1):
            uow.enqueue("job", request.id, {"n": n})
    events = await stored_events(engine)
    assert [e.actor for e in events] == [e.actor for e in entries]
    assert (await verify_stored(engine)).intact
    async with create_session_factory(engine)() as session:
        payloads = (await session.execute(select(JobRow.payload).order_by(JobRow.id))).scalars().all()
    assert payloads == [{"n": n} for n in range(InsertMany.SIZES[0] + 1)]


async def test_jobs_are_completed_and_released_by_id_in_chunks(database: Database) -> None:
    async with database.unit_of_work() as uow:
        jobs = await uow.jobs.enqueue([NewJob("job", None, {"n": n}) for n in range(230)], MOMENT, "me",
                                      MOMENT + timedelta(minutes=1), {"job"})
    assert [job.payload["n"] for job in jobs] == list(range(230)) and all(job.attempts == 1 for job in jobs)
    async with database.unit_of_work() as uow:
        assert await uow.jobs.complete(jobs[:120], MOMENT) == {job.id for job in jobs[:120]}
        await uow.jobs.release([job.id for job in jobs], "me", keep_attempt=False)  # done ones stay done
    async with database.reader() as uow:
        assert await uow.jobs.due_count(MOMENT) == 110
    async with database.unit_of_work() as uow:
        claimed = await uow.jobs.claim(MOMENT, timedelta(minutes=1), "me", 500)
    assert [job.id for job in claimed] == [job.id for job in jobs[120:]] and {j.attempts for j in claimed} == {1}


async def test_a_read_only_transaction_cannot_write(database: Database) -> None:
    with pytest.raises((sqlite3.OperationalError, asyncpg.ReadOnlySQLTransactionError)):
        async with database.reader() as uow:
            await uow.requests.add(_new_request("V-ro"), "pending", MOMENT)
    async with database.reader() as uow:
        assert await uow.requests.find_by_view("V-ro") is None


async def test_a_transaction_handle_is_dead_once_its_block_ends(database: Database) -> None:
    async with database.unit_of_work() as uow:
        kept = uow
    with pytest.raises(RuntimeError, match="ended"):
        await kept.requests.find_by_view("V-late")


async def test_a_closed_driver_refuses_new_transactions(database: Database) -> None:
    await database.close()
    with pytest.raises(RuntimeError, match="closed"):
        async with database.reader():
            pass


# Streaming a large result: keyset pages in one snapshot


EVENTS = table_of(AuditEventRow)
SEQS = Statement(select(EVENTS.c.id.label("seq")).where(EVENTS.c.id > bindparam("after", type_=Integer))
                 .order_by(EVENTS.c.id).limit(bindparam("limit", type_=Integer)))


class CountingQueries:
    """A transaction that counts the queries run through it."""

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self.committed = False
        self.queries = 0

    async def rows(self, statement: Statement, params: Mapping[str, Any] | None = None) -> list[Any]:
        self.queries += 1
        return await self.tx.rows(statement, params)

    async def run(self, statement: Statement, params: Mapping[str, Any] | None = None) -> int:
        return await self.tx.run(statement, params)


async def test_pages_stream_every_row_in_order_a_page_at_a_time(database: Database) -> None:
    async with database.unit_of_work() as uow:
        for n in range(7):
            uow.audit(AuditEntry("page", "ok", f"U{n}"))
    for size, lengths, queries in ((3, [3, 3, 1], 3), (7, [7], 2), (1, [1] * 7, 8), (50, [7], 1)):
        async with database.driver.snapshot() as tx:
            counting = CountingQueries(tx)
            seen = [[row.seq for row in page] async for page in pages(counting, SEQS, key="seq", after=0, size=size)]
        assert [len(page) for page in seen] == lengths and sum(seen, []) == list(range(1, 8)), size
        assert counting.queries == queries, "a short page is known to be the last"
    async with database.driver.snapshot() as tx:
        assert [page async for page in pages(tx, SEQS, key="seq", after=7, size=3)] == []


async def test_pages_read_ahead_one_page_only_and_stop_cleanly(database: Database) -> None:
    """The whole result is never loaded: a caller that stops after the first page has cost two
    queries, and the transaction is usable afterwards (the page read ahead was awaited)."""
    async with database.unit_of_work() as uow:
        for n in range(20):
            uow.audit(AuditEntry("page", "ok", f"U{n}"))
    async with database.driver.snapshot() as tx:
        counting = CountingQueries(tx)
        async with aclosing(pages(counting, SEQS, key="seq", after=0, size=2)) as stream:
            assert [row.seq for row in await anext(stream)] == [1, 2]
        assert counting.queries == 2
        assert [row.seq for row in await tx.rows(SEQS, {"after": 18, "limit": 5})] == [19, 20]


async def test_a_snapshot_sees_one_moment_while_writers_commit(database: Database) -> None:
    async with database.unit_of_work() as uow:
        uow.audit(AuditEntry("before", "ok"))
    async with database.driver.snapshot() as tx:
        assert len(await tx.rows(SEQS, {"after": 0, "limit": 10})) == 1
        async with asyncio.timeout(5), database.unit_of_work() as uow:  # never waits for the snapshot
            uow.audit(AuditEntry("during", "ok"))
        assert len(await tx.rows(SEQS, {"after": 0, "limit": 10})) == 1
    async with database.driver.snapshot() as tx:
        assert len(await tx.rows(SEQS, {"after": 0, "limit": 10})) == 2


# SQLite: waiting for another process's write lock never blocks the event loop


ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _sqlite_path(engine: AsyncEngine) -> str:
    assert engine.dialect.name == "sqlite" and engine.url.database
    return engine.url.database


def _hold_write_lock(path: str, seconds: float, started: threading.Event) -> None:
    """Another process's writer, as far as SQLite can tell (its own connection, another thread)."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    started.set()
    threading.Event().wait(seconds)
    other.execute("COMMIT")
    other.close()


@ON_SQLITE
async def test_a_locked_database_is_waited_for_without_blocking_the_loop(engine: AsyncEngine,
                                                                         database: Database) -> None:
    path = _sqlite_path(engine)
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, 0.4, started))
    holder.start()
    started.wait()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    try:
        async with database.unit_of_work() as uow:
            uow.audit(AuditEntry("after_the_lock", "ok"))
    finally:
        ticking.cancel()
        holder.join()
    assert ticks >= 20, "the loop kept serving while the write waited"
    assert [e.kind for e in await stored_events(engine)] == ["after_the_lock"]


@ON_SQLITE
async def test_a_lock_held_too_long_fails_the_write_and_changes_nothing(
    engine: AsyncEngine, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _sqlite_path(engine)
    monkeypatch.setattr(storage.driver.sqlite, "BUSY_TIMEOUT_SECONDS", 0.2)
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, 0.6, started))
    holder.start()
    started.wait()
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            async with database.unit_of_work() as uow:
                uow.audit(AuditEntry("too_late", "ok"))
    finally:
        holder.join()
    assert await stored_events(engine) == []
    async with database.unit_of_work() as uow:  # the connection is fine afterwards
        uow.audit(AuditEntry("later", "ok"))
    assert [e.kind for e in await stored_events(engine)] == ["later"]


def _rows_in_main_file(path: str) -> int:
    """Events in the database file itself, ignoring the WAL (what a checkpoint has moved)."""
    snapshot = sqlite3.connect(f"{Path(path).as_uri()}?immutable=1", uri=True)
    try:
        return int(snapshot.execute("SELECT count(*) FROM audit_events").fetchone()[0])
    finally:
        snapshot.close()


@ON_SQLITE
async def test_commits_are_checkpointed_in_the_background(engine: AsyncEngine, database: Database,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = _sqlite_path(engine)
    monkeypatch.setattr(storage.driver.sqlite, "CHECKPOINT_EVERY_COMMITS", 5)
    for n in range(4):
        async with database.unit_of_work() as uow:
            uow.audit(AuditEntry("event", "ok", None, None, {"n": n}))
    assert _rows_in_main_file(path) == 0  # automatic checkpoints are off on the bot's connections
    async with database.unit_of_work() as uow:
        uow.audit(AuditEntry("event", "ok", None, None, {"n": 4}))
    await database.close()  # waits for the checkpoint the fifth commit started
    assert _rows_in_main_file(path) == 5


@ON_SQLITE
async def test_the_wal_stays_bounded_under_steady_writes(engine: AsyncEngine, database: Database,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Checkpoints end holding the write gate, so the log is rewound instead of growing for ever.

    A checkpoint copies the frames the log had when it began; writers append more meanwhile,
    and the next write restarts the log from its beginning only if all of them were copied.
    Here each bulk pass pins its starting point with a read transaction (a checkpoint never
    copies past a reader's snapshot) while the test commits beside it, so the frames it leaves
    behind are there by construction rather than by the machine's speed; the second pass,
    holding the gate, must copy them. Without it the log never restarts and grows every round.
    """
    path = _sqlite_path(engine)
    every, beside, rounds = 10, 4, 6
    monkeypatch.setattr(storage.driver.sqlite, "CHECKPOINT_EVERY_COMMITS", every)
    bulk_started, go_on, finished = threading.Event(), threading.Event(), asyncio.Event()
    passes: list[bool] = []  # per pass of the current run: whether the write gate was held
    runs: list[list[bool]] = []
    checkpoint, run = Checkpointer._checkpoint, Checkpointer.run

    def outrun_bulk_pass(self: Checkpointer) -> None:
        passes.append(self._gate.locked())  # no writer holds it here: the test writes only beside the bulk pass
        if len(passes) > 1:
            checkpoint(self)
            return
        start = sqlite3.connect(path, isolation_level=None)
        try:
            start.execute("BEGIN")
            start.execute("SELECT count(*) FROM audit_head").fetchall()  # the log as the pass began
            bulk_started.set()
            assert go_on.wait(5), "the test's writes did not come"
            checkpoint(self)
        finally:
            start.close()

    async def counted_run(self: Checkpointer) -> None:
        passes.clear()
        try:
            await run(self)
        finally:
            runs.append(list(passes))
            finished.set()

    monkeypatch.setattr(Checkpointer, "_checkpoint", outrun_bulk_pass)
    monkeypatch.setattr(Checkpointer, "run", counted_run)
    written = 0

    async def commit(count: int) -> None:
        nonlocal written
        for _ in range(count):
            async with database.unit_of_work() as uow:
                uow.audit(AuditEntry("event", "ok", "U1", None, {"n": written, "pad": "x" * 500}))
            written += 1

    salts: list[bytes] = []
    sizes: list[int] = []
    for round_ in range(rounds):
        await commit(every if round_ == 0 else every - beside)  # the last of them starts a checkpoint
        assert await asyncio.to_thread(bulk_started.wait, 5)
        await commit(beside)  # beside the bulk pass
        go_on.set()
        await asyncio.wait_for(finished.wait(), 5)
        for event in (bulk_started, go_on, finished):
            event.clear()
        salt, frames = _wal_state(path)  # before close, which would remove the WAL
        salts.append(salt)
        sizes.append(frames)
    assert len(set(salts)) == rounds, f"the log restarted {len(set(salts)) - 1} times in {rounds} rounds"
    assert sizes == [sizes[0]] * rounds, f"the WAL grew round by round: {sizes} frames"
    assert runs == [[False, True]] * rounds, "only the second pass of each checkpoint holds the write gate"
    assert len(await stored_events(engine)) == written == rounds * every + beside


def _wal_state(path: str) -> tuple[bytes, int]:
    """The WAL's salts (bytes 16-24 of its header, new each time the log restarts from its
    beginning) and its size in frames (a high-water mark: a restart does not shrink the file)."""
    wal = Path(path + "-wal")
    with wal.open("rb") as log:
        header = log.read(32)
    return header[16:24], (wal.stat().st_size - len(header)) // (24 + 4096)


@ON_SQLITE
async def test_writers_keep_writing_during_the_bulk_of_a_checkpoint(engine: AsyncEngine, database: Database,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the second, short pass holds the write gate (a gated bulk pass stalled writes ~30 ms)."""
    in_first_pass, let_go = threading.Event(), threading.Event()
    passes = 0
    checkpoint = Checkpointer._checkpoint

    def slow_first_pass(self: Checkpointer) -> None:
        nonlocal passes
        passes += 1
        if passes == 1:
            in_first_pass.set()
            let_go.wait(5)
        checkpoint(self)

    monkeypatch.setattr(Checkpointer, "_checkpoint", slow_first_pass)
    assert isinstance(database.driver, SqliteDriver)
    running = asyncio.create_task(database.driver.checkpoint())
    await asyncio.to_thread(in_first_pass.wait, 5)
    async with asyncio.timeout(2):
        async with database.unit_of_work() as uow:
            uow.audit(AuditEntry("during_the_checkpoint", "ok"))
    let_go.set()
    await running
    assert passes == 2 and [e.kind for e in await stored_events(engine)] == ["during_the_checkpoint"]


# PostgreSQL: a connection that died in the pool is replaced before the transaction starts


if PG_URL is not None:  # collected only where PostgreSQL is configured

    @pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
    async def test_dead_pooled_connections_are_replaced(engine: AsyncEngine, database: Database) -> None:
        """Readers and writers alike, each before anything has run on the dead connection."""
        async with database.unit_of_work() as uow:
            uow.audit(AuditEntry("before", "ok"))
        async with database.reader() as uow:
            assert (await uow.audit_log.head()).last_seq == 1
        async with engine.connect() as admin:  # as a server restart or an idle timeout would
            await admin.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            await admin.commit()
        async with database.reader() as uow:
            assert (await uow.audit_log.head()).last_seq == 1
        async with database.unit_of_work() as uow:
            uow.audit(AuditEntry("after", "ok"))
        assert [e.kind for e in await stored_events(engine)] == ["before", "after"]

    @pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
    async def test_url_options_reach_the_driver_as_sqlalchemy_reads_them(engine: AsyncEngine) -> None:
        url = engine.url.update_query_dict({"ssl": "prefer", "prepared_statement_cache_size": "50"})
        async with Database(create_engine(url.render_as_string(hide_password=False))) as database, \
                database.reader() as uow:
            assert (await uow.audit_log.head()).last_seq == 0


# The unit of work around the driver: what a cancellation or a close in the middle does


class CancelledAfterCommit:
    """The real driver, but the caller is cancelled right after COMMIT returned (as when the
    cancellation lands while the connection goes back to its pool)."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.dialect = driver.dialect

    @asynccontextmanager
    async def transaction(self, *, read_only: bool = False) -> AsyncIterator[Transaction]:
        async with self.driver.transaction(read_only=read_only) as tx:
            yield tx
        raise asyncio.CancelledError

    def snapshot(self) -> AbstractAsyncContextManager[Transaction]:
        return self.driver.snapshot()

    async def close(self) -> None:
        await self.driver.close()


class Recorder:
    lease = timedelta(minutes=1)
    owner = "test"

    def __init__(self) -> None:
        self.dispatched: list[Job] = []
        self.woken = 0

    def handles(self, kind: str) -> bool:
        return True

    def dispatch(self, jobs: list[Job]) -> None:
        self.dispatched += jobs

    def wake(self) -> None:
        self.woken += 1


async def test_jobs_committed_before_a_cancellation_are_still_dispatched(database: Database) -> None:
    recorder = Recorder()
    with pytest.raises(asyncio.CancelledError):
        async with UnitOfWork(CancelledAfterCommit(database.driver), dispatcher=recorder) as uow:
            uow.enqueue("job", None, {"n": 1})
    assert [job.payload for job in recorder.dispatched] == [{"n": 1}]


async def test_jobs_of_a_failed_commit_are_not_dispatched(database: Database) -> None:
    recorder = Recorder()
    with pytest.raises(RuntimeError):
        async with UnitOfWork(database.driver, dispatcher=recorder) as uow:
            uow.enqueue("job", None, {"n": 1})
            raise RuntimeError("the block fails")
    assert recorder.dispatched == []
    async with database.reader() as reader:
        assert await reader.jobs.due_count(datetime.now(UTC) + timedelta(days=1)) == 0


async def test_a_reader_open_during_close_keeps_its_own_error(database: Database,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.driver.postgres, "CLOSE_GRACE_SECONDS", 0.2)  # PostgreSQL waits, then cuts
    with pytest.raises(KeyError, match="the reader's own"):
        async with database.reader() as uow:
            await uow.audit_log.head()
            await database.close()
            raise KeyError("the reader's own")


def test_padded_lists_take_a_few_sizes_and_keep_their_members() -> None:
    sizes = set()
    for count in range(1, 101):
        items = list(range(count))
        padded_items = padded(items, 100)
        assert padded_items[:count] == items and set(padded_items) == set(items)
        sizes.add(len(padded_items))
    assert sizes == {1, 2, 4, 8, 16, 32, 64, 100}


def test_inserts_are_chunked_into_a_few_sizes_one_statement_up_to_eight_rows() -> None:
    insert_many = storage.repositories.audit.INSERT_EVENTS
    for count in range(1, 150):
        rows = [{name: n for name in insert_many._columns} for n in range(count)]
        chunks = list(insert_many.chunks(rows))
        assert sum(len(values) for _, values in chunks) == count * len(insert_many._columns)
        assert all(statement in {insert_many._sized(size) for size in InsertMany.SIZES} for statement, _ in chunks)
        assert len(chunks) == 1 if count <= 8 else len(chunks) <= 3 + (count - 1) // InsertMany.SIZES[0]
