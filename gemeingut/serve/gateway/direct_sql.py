"""The statements every request runs, handed to the database driver without SQLAlchemy's
per-statement work.

A request's key check, its reservation with its audit record and its settlement run a few
statements each. Through `Connection.execute`, SQLAlchemy did for every one of them work that
cost more than SQLite took to run it: the compiled form looked up in its cache, parameters
built and processed anew, an execution context and a result object with its row processing
(docs/benchmarks.md). Here each statement is compiled once per dialect, from the same
SQLAlchemy construct as before (the schema in `tables.py` stays the one source of its SQL), into
the driver's SQL text and a plan that puts each value in its place through the type's own bind
processor; rows come back as dicts, each value through the type's result processor. The
statement runs on the driver's connection of the caller's SQLAlchemy `Connection`, in its
transaction (begun where none is, as `Connection.execute` begins one: the same transactions
as before); the engine's cursor events are dispatched where it has listeners (tests that
count or interleave statements), and a driver's error is raised as SQLAlchemy raises it (the
same exception classes; a lost connection invalidated), so callers and their retries see no
difference.

Each cursor is closed before `run` returns, all rows read: no statement keeps a SQLite read
snapshot open (`store.py`).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql.base import Executable

Row = Mapping[str, Any]  # a dict; rows read by SQLAlchemy (RowMapping) pass where one is read
# A value's place in the driver's parameters: its name there, the caller's key it comes from
# (None: a value the statement holds itself), its index in the caller's list (an expanding
# IN), the statement's own value, and the type's bind processor.
Slot = tuple[str, str | None, int | None, object, Any]
# Per dialect, per statement and parameter keys: the keys of its expanding INs, and its forms
# by their lists' lengths.
Forms = tuple[tuple[str, ...], dict[tuple[int, ...], "Prepared"]]
_PREPARED: weakref.WeakKeyDictionary[Dialect, dict[tuple, Forms]] = weakref.WeakKeyDictionary()


class Prepared:
    """One statement as `dialect`'s driver takes it, for parameters with the keys and (for
    an expanding IN) list lengths of `parameters`: its SQL, where each value goes, and its
    result's column names and processors."""

    __slots__ = ("expanding", "names", "positional", "processors", "slots", "sql")

    def __init__(self, statement: Executable, dialect: Dialect, parameters: dict[str, Any]) -> None:
        # As `Connection.execute` compiles it: an INSERT's or UPDATE's columns are the keys
        # given that name one of its table's columns.
        compiled = statement.compile(dialect=dialect, column_keys=sorted(parameters))
        if compiled.insert_prefetch or compiled.update_prefetch:
            # A column's Python-side default, which `Connection.execute` computes per
            # statement: here it would be bound as a fixed None. Give its value instead.
            raise TypeError(f"{statement}: give a value for each column with a default")
        expanded = compiled.construct_expanded_state(parameters)
        escaped = {v: k for k, v in (compiled.escaped_bind_names or {}).items()}
        items = {
            each: (name, index)
            for name, expanded_names in expanded.parameter_expansion.items()
            for index, each in enumerate(expanded_names)
        }
        self.expanding = tuple(name for name in expanded.parameter_expansion if name in parameters)
        bind_processors = {**compiled._bind_processors, **expanded.processors}
        order = expanded.positiontup if compiled.positional else list(expanded.parameters)
        slots: list[Slot] = []
        for name in order or ():
            key = escaped.get(name, name)  # the caller's name of it
            process = bind_processors.get(key) or bind_processors.get(name)
            if name in items and items[name][0] in parameters:
                key, index = items[name]
                slots.append((name, key, index, None, process))
            elif key in parameters and name not in items:
                slots.append((name, key, None, None, process))
            else:  # the statement's own value (a literal), processed once
                value = expanded.parameters[name]
                slots.append((name, None, None, process(value) if process else value, None))
        self.sql = expanded.statement
        self.positional = compiled.positional
        self.slots = tuple(slots)
        columns = compiled._result_columns
        self.names = tuple(column.keyname for column in columns)
        self.processors = tuple(
            column.type._cached_result_processor(dialect, None) for column in columns
        )

    def bind(self, parameters: dict[str, Any]) -> tuple | dict[str, Any]:
        """The driver's parameters for the caller's `parameters`."""
        values = []
        for _name, key, index, own, process in self.slots:
            if key is None:
                values.append(own)
                continue
            value = parameters[key] if index is None else parameters[key][index]
            values.append(value if process is None else process(value))
        if self.positional:
            return tuple(values)
        return {slot[0]: value for slot, value in zip(self.slots, values, strict=True)}

    def rows(self, fetched: list[tuple]) -> list[Row]:
        """The result's rows by column name, each value as its type reads it."""
        names, processors = self.names, self.processors
        if not any(processors):
            return [dict(zip(names, row, strict=True)) for row in fetched]
        return [
            {
                name: value if process is None else process(value)
                for name, process, value in zip(names, processors, row, strict=True)
            }
            for row in fetched
        ]


def prepared(dialect: Dialect, statement: Executable, parameters: dict[str, Any]) -> Prepared:
    """`statement`'s form for `dialect` and these parameters' keys (and the lengths of the
    lists its expanding INs take), made once; two threads may both make it, the same. Kept
    while the dialect lives: `statement` is one built once (a module's constant), not one
    built per call, which would add a form per call."""
    cache = _PREPARED.get(dialect)
    if cache is None:
        cache = _PREPARED.setdefault(dialect, {})
    key = (statement, tuple(parameters))
    forms = cache.get(key)
    lengths: tuple[int, ...]
    if forms is None:
        form = Prepared(statement, dialect, parameters)
        lengths = tuple(len(parameters[name]) for name in form.expanding)
        cache[key] = (form.expanding, {lengths: form})
        return form
    expanding, by_lengths = forms
    lengths = tuple(len(parameters[name]) for name in expanding)
    form = by_lengths.get(lengths)
    if form is None:
        form = by_lengths[lengths] = Prepared(statement, dialect, parameters)
    return form


def run(conn: Connection, statement: Executable, parameters: dict[str, Any]) -> list[Row]:
    """Run `statement` with `parameters` in `conn`'s transaction: its rows (none for a
    statement that returns none)."""
    return _run(conn, statement, parameters)[0]


def run_counted(conn: Connection, statement: Executable, parameters: dict[str, Any]) -> int:
    """Run `statement` (an UPDATE or DELETE without RETURNING) in `conn`'s transaction: how
    many rows it changed."""
    return _run(conn, statement, parameters)[1]


def _run(
    conn: Connection, statement: Executable, parameters: dict[str, Any]
) -> tuple[list[Row], int]:
    dialect = conn.dialect
    form = prepared(dialect, statement, parameters)
    if not conn.in_transaction():  # begun as `Connection.execute` begins it (SQLite: BEGIN)
        conn.begin()
    sql, bound = form.sql, form.bind(parameters)
    events = conn._has_events or conn.engine._has_events  # as `Connection.execute` asks
    cursor = None
    try:
        cursor = conn.connection.driver_connection.cursor()
        if events:
            for listener in conn.dispatch.before_cursor_execute:
                sql, bound = listener(conn, cursor, sql, bound, None, False)
        cursor.execute(sql, bound)
        if events:
            conn.dispatch.after_cursor_execute(conn, cursor, sql, bound, None, False)
        # Whether rows come is the compiled statement's to say (a SELECT, a RETURNING), not
        # the cursor's `description`: psycopg builds a column object per column for it, 0.2 M
        # of 1.9 M instructions per stream (`bench/gateway_overhead.py --instructions`).
        fetched = cursor.fetchall() if form.names else []
        counted = cursor.rowcount
    except dialect.loaded_dbapi.Error as error:
        # SQLAlchemy's exception for it (a lost connection invalidated), its values hidden
        # as the engine's `hide_parameters` says.
        conn._handle_dbapi_exception(error, sql, bound, cursor, None)
    finally:
        # Closed however it ends (a listener's error, a cancellation too): this cursor is
        # not among those the pool closes (`store.open_cursors`), and an open one holds
        # SQLite's snapshot.
        if cursor is not None:
            with contextlib.suppress(dialect.loaded_dbapi.Error):  # its connection lost
                cursor.close()
    return (form.rows(fetched) if fetched else []), counted
