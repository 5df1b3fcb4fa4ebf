"""Whether a PostgreSQL connection held between calls (`store.connections_held`) still answers,
found without a round trip where nothing is amiss.

The pool pings a connection at each checkout (`pool_pre_ping`): a statement and its answer,
per call. A held connection is not checked out again, so it is looked at here instead. Between
calls a live connection has nothing to read: the server speaks only when asked. A server that
stops or restarts (`pg_ctl stop`, also `-m immediate`), and one that ends the session
(`pg_terminate_backend`, `idle_session_timeout`), sends its error and closes the socket, which
makes the socket readable. Only then is the connection asked, as the pool's ping asks it: a
notification or a notice that made it readable costs one ping, not the connection. A connection
cut off without a word (a network gone) fails its next statement instead; that request is a
503 with `Retry-After`, and the next call gets a fresh connection. A connection is held only
while its thread has work: a thread idle for `database_thread.IDLE_SECONDS` gives it back, so
one that sat idle longer (where a firewall drops idle connections silently) is pinged by the
pool at its next checkout, as before.
"""

from __future__ import annotations

import select

from sqlalchemy import Connection


def answers(conn: Connection) -> bool:
    """Whether `conn` (idle, no transaction open) may be used for the next call. The ping is
    the dialect's, as the pool's; a driver whose ping began a transaction has it rolled back
    (psycopg pings in autocommit: nothing to roll back, no round trip)."""
    pooled = conn.connection
    driver = pooled.driver_connection  # psycopg's; another driver's is pinged every time
    if driver is None or getattr(driver, "closed", False):
        return False
    if hasattr(driver, "fileno") and not _readable(driver.fileno()):
        return True
    dialect = conn.dialect
    try:
        dialect.do_ping(pooled.dbapi_connection)
        pooled.dbapi_connection.rollback()
    except dialect.loaded_dbapi.Error:
        return False
    return True


def _readable(descriptor: int) -> bool:
    poller = select.poll()  # not select.select: it takes no descriptor above 1023
    poller.register(descriptor, select.POLLIN)
    return bool(poller.poll(0))
