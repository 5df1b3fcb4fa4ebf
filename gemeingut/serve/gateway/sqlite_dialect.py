"""SQLite as the gateway drives it: each transaction begun, and each cursor noted, by the dialect.

Every connection of the gateway to SQLite needs two things beside what pysqlite does: its
transactions begun with `BEGIN IMMEDIATE` (`store.writing`; a read, `store.reading`, with a
plain `BEGIN`, which waits for no writer), and each cursor it ran noted, so that all of them are
closed when the connection goes back to the pool (`store.py`: a half-read statement's snapshot
fails every later write on that connection). Both were engine events (`begin`,
`after_cursor_execute`); an engine with any listener of its own makes SQLAlchemy dispatch its
events around every statement, each dispatch a few Python calls, which cost a stream's database
work more than running its statements did (docs/benchmarks.md). The dialect's own methods do
the same work without dispatch. Its errors reach callers as SQLAlchemy's, as before ("database
is locked" at BEGIN: a 503, or a settle tried again).
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine.interfaces import DBAPICursor, ExecutionContext
from sqlalchemy.pool import PoolProxiedConnection

DRIVER = "gemeingut"  # `sqlite+gemeingut://` picks this dialect (`store._engine`)
READING = "gemeingut_reading"  # in a pooled connection's `info` while `store.reading` holds it
CURSORS = "gemeingut_cursors"  # in its `info`: the cursors run since it was checked out


class GatewaySQLite(SQLiteDialect_pysqlite):
    """pysqlite, with the transactions and cursors of `store.py`."""

    supports_statement_cache = True  # nothing here changes how statements compile

    def do_begin(self, dbapi_connection: PoolProxiedConnection) -> None:
        statement = "BEGIN" if dbapi_connection.info.get(READING) else "BEGIN IMMEDIATE"
        dbapi_connection.driver_connection.execute(statement).close()

    def do_execute(
        self,
        cursor: DBAPICursor,
        statement: str,
        parameters: Any,
        context: ExecutionContext | None = None,
    ) -> None:
        cursor.execute(statement, parameters)
        _note(cursor, context)

    def do_execute_no_params(
        self, cursor: DBAPICursor, statement: str, context: ExecutionContext | None = None
    ) -> None:
        cursor.execute(statement)
        _note(cursor, context)

    def do_executemany(
        self,
        cursor: DBAPICursor,
        statement: str,
        parameters: Any,
        context: ExecutionContext | None = None,
    ) -> None:
        cursor.executemany(statement, parameters)
        _note(cursor, context)


def _note(cursor: DBAPICursor, context: ExecutionContext | None) -> None:
    if context is not None:
        open_cursors(context.root_connection.info).add(cursor)


def open_cursors(info: dict) -> weakref.WeakSet:
    """The cursors run on one pooled connection since it was checked out (weakly: a cursor
    that is gone has let go of its statement), kept in its `info`. Made once per connection,
    not per statement."""
    cursors = info.get(CURSORS)
    if cursors is None:
        cursors = info[CURSORS] = weakref.WeakSet()
    return cursors


registry.register(f"sqlite.{DRIVER}", __name__, GatewaySQLite.__name__)
