"""SQL written once with SQLAlchemy Core, compiled once per dialect, run by the raw driver.

SQLAlchemy stays the authority on SQL text and on how each column type is stored (the
compiled string, the order of positional parameters, every type's bind and result
processor): rows written here are byte-for-byte what the ORM and Alembic read and write.
What is skipped is its per-execution machinery, which cost more CPU than the statements
themselves on every click.

Statements are built with the public Core API and compiled with
``ClauseElement.compile(dialect=…)``. ``Compiled`` then reads, from SQLAlchemy:

* ``compiled.string``: the SQL text (``Compiled.string``, public);
* ``compiled.positiontup``: the parameter names in the order the positional paramstyle
  takes them (``?`` for sqlite3, ``$n`` for asyncpg), and ``compiled.binds``: name ->
  ``BindParameter``. Both are ``SQLCompiler`` attributes, documented only among the Core
  internals, with no promise across minor versions;
* of each ``BindParameter``: ``bind.required`` (the caller supplies the value) or else
  ``bind.value`` (a value fixed in the statement, such as ``id = 1``), and ``bind.type``;
* of each type: ``type.dialect_impl(dialect)`` and its ``bind_processor(dialect)`` and
  ``result_processor(dialect, None)``, the public type API custom types implement;
* ``statement.exported_columns`` (public), each column's ``key`` and ``type``: the result
  row's fields.

SQL that must differ per dialect is a construct with ``sqlalchemy.ext.compiler`` rules
(public; see ``storage.audit_reader.TimeText``), so one statement still serves both.

Because of the two internal attributes, pyproject.toml pins SQLAlchemy to the minor version
this was tested with (``>=2.1.9,<2.2``; constraints.txt, which tasks.py installs from, to
2.1.9 exactly). tests/test_driver.py checks that what the driver writes the ORM reads back
unchanged and the other way round, and that no parameter is untyped (an untyped one would
silently skip its column's conversion).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Executable

T = TypeVar("T")
_namedtuple: Callable[[str, list[str]], Callable[..., tuple[Any, ...]]] = namedtuple


def _row_type(keys: list[str]) -> Callable[..., tuple[Any, ...]]:
    """Rows are named tuples: attribute access by column key at the cost of a tuple."""
    return _namedtuple("Row", keys)


class Compiled:
    """One statement as one dialect runs it: SQL text, how to order and convert parameters,
    and how to turn result tuples into rows with attribute access."""

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.positiontup is None:
            raise TypeError(f"{dialect.name} is not a positional-parameter dialect")
        self.sql: str = compiled.string
        binds = compiled.binds
        # (name, processor) for a value the caller passes; (None, value) for a literal in the SQL
        self._params: list[tuple[str | None, Any]] = []
        for name in compiled.positiontup:
            bind = binds[name]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.required:
                self._params.append((name, process))
            else:
                self._params.append((None, bind.value if process is None else process(bind.value)))
        columns = list(statement.exported_columns)
        self._results = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
        self._row = _row_type([column.key for column in columns]) if columns else None
        self._converts = any(self._results)
        # a named row straight from a result tuple, in C (tuple.__new__ of the row type)
        self._make = partial(tuple.__new__, cast(type[tuple[Any, ...]], self._row)) if self._row else None

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """``values`` by name -> the positional tuple the driver takes, each value converted
        as SQLAlchemy would store it. A missing name is a programming error (KeyError)."""
        return tuple(fixed if name is None else values[name] if fixed is None else fixed(values[name])
                     for name, fixed in self._params)

    def row(self, raw: Sequence[Any]) -> Any:
        """A driver's result tuple -> a named row with Python values."""
        assert self._row is not None, "statement returns no rows"
        if not self._converts:
            return self._row(*raw)
        pairs = zip(self._results, raw, strict=True)
        return self._row(*(value if process is None else process(value) for process, value in pairs))

    def rows(self, raws: Iterable[Sequence[Any]]) -> list[Any]:
        """``row`` of each result tuple."""
        if self._make is not None and not self._converts:
            return list(map(self._make, raws))
        return [self.row(raw) for raw in raws]


class Statement:
    """A prebuilt Core statement (module level, built once) and its compiled forms."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[str, Compiled] = {}

    def compiled(self, dialect: Dialect) -> Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = Compiled(self.statement, dialect)
        return found


class Upsert(Statement):
    """``INSERT … ON CONFLICT (key) DO UPDATE SET`` the other columns: one statement on both
    backends (PostgreSQL and SQLite 3.24+ spell it alike), built with each dialect's own
    ``insert`` because Core has no dialect-neutral upsert."""

    def __init__(self, table: Table, key: Sequence[str], columns: Sequence[str]) -> None:
        super().__init__(insert(table))
        self._table, self._key, self._columns = table, tuple(key), tuple(columns)

    def compiled(self, dialect: Dialect) -> Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            values = {name: bindparam(name, type_=self._table.c[name].type) for name in self._columns}
            inserted = (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(self._table)
            statement = inserted.values(values).on_conflict_do_update(index_elements=list(self._key), set_={
                name: inserted.excluded[name] for name in self._columns if name not in self._key})
            found = self._compiled[dialect.name] = Compiled(statement, dialect)
        return found


class InsertIgnore(Upsert):
    """``INSERT … ON CONFLICT (key) DO NOTHING``: a row already there is left alone, and the
    statement reports 0 rows changed instead of failing the transaction."""

    def compiled(self, dialect: Dialect) -> Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            values = {name: bindparam(name, type_=self._table.c[name].type) for name in self._columns}
            inserted = (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(self._table)
            statement = inserted.values(values).on_conflict_do_nothing(index_elements=list(self._key))
            found = self._compiled[dialect.name] = Compiled(statement, dialect)
        return found


class PerSize:
    """Statements whose shape depends on a count (n VALUES rows, n ids in ``IN``), built and
    compiled once per count: every one of them is still a prepared, cached statement."""

    def __init__(self, build: Callable[[int], Executable]) -> None:
        self._build = build
        self._by_size: dict[int, Statement] = {}

    def __call__(self, size: int) -> Statement:
        if size not in self._by_size:
            self._by_size[size] = Statement(self._build(size))
        return self._by_size[size]


def numbered(name: str, count: int) -> list[str]:
    """The parameter names a ``PerSize`` statement of ``count`` uses for ``name``."""
    return [f"{name}_{i}" for i in range(count)]


def padded(items: Sequence[T], limit: int) -> list[T]:
    """``items`` (not empty) with its last one repeated up to the next power of two, or ``limit``.

    For a ``PerSize`` statement whose terms may repeat without changing its meaning (an ``IN``
    list, an ``OR`` of equal conditions): it is then built, compiled and, on PostgreSQL, prepared on
    each connection for a handful of counts instead of every count a batch happens to have (a
    compile took 1.5–15 ms, and every count took a place in asyncpg's statement cache)."""
    size = min(limit, 1 << (len(items) - 1).bit_length())
    return [*items, *[items[-1]] * (size - len(items))]


def numbered_chunks(name: str, values: Iterable[Any], size: int = 100) -> Iterator[tuple[int, dict[str, Any]]]:
    """``values`` without repeats, in chunks of at most ``size``: (count, {"name_0": …, …}) for a
    ``PerSize`` statement's ``IN`` list, so a long list never makes one huge statement; each chunk
    ``padded``."""
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), size):
        chunk = padded(unique[start:start + size], size)
        yield len(chunk), dict(zip(numbered(name, len(chunk)), chunk, strict=True))


class InsertMany:
    """A multi-row ``INSERT … VALUES (…), (…)`` (optionally ``RETURNING``), one statement
    per chunk, so n rows cost one round trip instead of n. ``RETURNING`` rows come back in
    no promised order: callers that care sort them (by the serial id, which the rows of one
    statement take in VALUES order).

    Chunks take one of ``SIZES`` rows, the largest that fits what is left: every count up to 8
    is one statement, a larger batch (a group commit under load) two or three, and only 13
    statements per table are ever compiled and prepared instead of one per count."""

    SIZES = (48, 32, 24, 16, 12, 8, 7, 6, 5, 4, 3, 2, 1)  # the largest is far below either backend's
    # parameter limit and small enough for asyncpg to cache the prepared statement (not over 15 KiB)

    def __init__(self, table: Table, columns: Sequence[str], returning: Sequence[str] = ()) -> None:
        self._columns = tuple(columns)

        def build(size: int) -> Executable:
            statement = insert(table).values([
                {name: bindparam(f"{name}_{i}", type_=table.c[name].type) for name in self._columns}
                for i in range(size)
            ])
            return statement.returning(*(table.c[name] for name in returning)) if returning else statement

        self._sized = PerSize(build)

    def chunks(self, rows: Sequence[Mapping[str, Any]]) -> Iterable[tuple[Statement, dict[str, Any]]]:
        """(statement, parameters) pairs covering ``rows`` in order."""
        start = 0
        while start < len(rows):
            size = next(size for size in self.SIZES if size <= len(rows) - start)
            chunk, start = rows[start:start + size], start + size
            values = {f"{name}_{i}": row[name] for i, row in enumerate(chunk) for name in self._columns}
            yield self._sized(len(chunk)), values


def insert_into(table: Table, columns: Sequence[str], returning: Sequence[str] = ()) -> Statement:
    """``INSERT INTO table (columns) VALUES (:column, …)``, every parameter typed by its column."""
    statement = insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in columns})
    if returning:
        statement = statement.returning(*(table.c[name] for name in returning))
    return Statement(statement)
