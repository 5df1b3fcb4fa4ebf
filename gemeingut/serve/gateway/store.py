"""The gateway's database: SQLite (WAL) on one machine, PostgreSQL for several server processes.

`open_store` brings the schema to the newest Alembic revision before anything else runs, so a
server or an admin command never meets an old schema. SQLite write transactions start with
`BEGIN IMMEDIATE`: two transactions that both read and then write would otherwise both hold a
read lock and fail to upgrade it (SQLITE_BUSY); taking the write lock first makes them queue,
which is what the quota counters need to be exact.

A SQLite statement that was not read to the end keeps its read snapshot open, also after
ROLLBACK. Back in the pool, such a connection fails every later `BEGIN IMMEDIATE` at once with
"database is locked" (SQLite does not wait: the old snapshot can never become writable) as soon
as any other connection has committed. So every cursor is closed when its connection goes back
to the pool, whatever the code that used it left behind. Both the BEGINs and the noting of
cursors are the SQLite dialect's (`sqlite_dialect.py`), not engine events: an engine with event
listeners pays for their dispatch around every statement.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, bindparam, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.sql.compiler import Compiled

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.serve.gateway.connection_alive import answers
from gemeingut.serve.gateway.pseudonym_key import key_file, new_key, pseudonym_key
from gemeingut.serve.gateway.sqlite_dialect import DRIVER, READING, open_cursors

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_POOL = 40  # connections kept open (and as many more at a peak, closed after it)
MIGRATION_LOCK = 0x67656D65  # any constant; the same in every gemeingut process
SECRET_QUERY = frozenset({"password", "sslpassword"})  # libpq's parameters that hold secrets
_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
# Each engine's pseudonym key and the file it came from (None: kept in the database)
_KEYS: weakref.WeakKeyDictionary[Engine, tuple[bytes, Path | None]] = weakref.WeakKeyDictionary()
_THREAD = threading.local()  # `held`: the connections a thread keeps (`connections_held`)
_IGNORING_INSERTS: weakref.WeakKeyDictionary[
    Engine, dict[tuple[Table, tuple[str, ...]], Compiled]
] = weakref.WeakKeyDictionary()


# `postgresql//host/db`, `postgres:/host/db`: a URL mistyped, which would be read as a path.
_MISTYPED_URL = re.compile(r"(?i)^postgres(ql)?(\+\w+)?(:|//)")


def database_url(value: str) -> str:
    """A file path means SQLite; `postgresql://…` uses psycopg 3; other URLs pass unchanged.
    A PostgreSQL URL that lacks `://`'s colon or a slash is said, not taken for a folder."""
    if "://" not in value and _MISTYPED_URL.match(value):
        raise InputError(
            _("--db {value} is neither a file path nor a database URL", value=value),
            _(
                "a PostgreSQL URL starts with postgresql:// (a colon and two slashes), e.g. "
                "postgresql://user@host/dbname"
            ),
        )
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    if value.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def open_store(value: str, create: bool = True, lost_key: bool = False) -> Engine:
    """An engine on the database at `value` (path or URL), migrated to the newest schema.
    `create=False`: a SQLite file that does not exist is an error, not a new empty database
    (and folders) that would make a mistyped path look like a database without users.
    `lost_key`: a new pseudonym key replaces a lost one (`pseudonym_key.new_key`)."""
    url = database_url(value)
    hint = _("check --db (a file path, or postgresql://user:password@host/dbname)")
    scheme = url.split("://", 1)[0]
    if scheme != "sqlite" and not scheme.startswith("postgresql"):
        raise InputError(
            _(
                "the gateway database must be SQLite or PostgreSQL, not {scheme}",
                scheme=scheme,
            ),
            hint,
        )
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else None
    if not create and path is not None and not Path(path).is_file():
        raise InputError(
            _("the gateway database {path} does not exist", path=path),
            _(
                "check --db; a new one is made by `gemeingut admin groups add` or "
                "`gemeingut admin users add`"
            ),
        )
    try:
        engine = _engine(url)
    except (SQLAlchemyError, ImportError, OSError, ValueError) as error:
        # An unknown scheme, a database we have no driver for, a folder we cannot create, a
        # port that is no number (SQLAlchemy's ValueError).
        raise InputError(
            _(
                "cannot open the gateway database {url}: {error}",
                url=shown_database(value),  # as typed, without its password
                error=str(error),
            ),
            hint,
        ) from None
    try:
        _migrate(engine)
        _hold_key(engine, key_file(path), lost_key)
    except InputError:
        engine.dispose()
        raise
    except SQLAlchemyError as error:
        engine.dispose()
        cause = str(error.orig if hasattr(error, "orig") else error).strip().splitlines()[0]
        said = f"{error.__class__.__name__}: {cause}"  # the driver's own words, in English
        raise InputError(
            _(
                "cannot open the gateway database {url} (in the database driver's own words: "
                "{error})",
                url=shown_database(value),  # as typed, without its password
                error=said,
            ),
            hint,
        ) from None
    return engine


def _engine(url: str) -> Engine:
    """`hide_parameters`: a failed statement's values never reach an error message or the
    server log, which keeps no retention; they are logged prompts and answers, user names,
    key hashes."""
    if url.startswith("sqlite:///"):
        _create_private(Path(url.removeprefix("sqlite:///")))
        # As many pooled connections as the server has worker threads (anyio's 40): with
        # SQLAlchemy's default 5, a loaded server opened and closed connections all the time,
        # each running the PRAGMAs below again.
        engine = create_engine(
            make_url(url).set(drivername=f"sqlite+{DRIVER}"),
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=SQLITE_POOL,
            max_overflow=SQLITE_POOL,
            hide_parameters=True,
        )
        _sqlite_pragmas(engine)
        _WRITE_LOCKS[engine] = threading.Lock()
        return engine
    return create_engine(
        url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True
    )


def _create_private(path: Path) -> None:
    """Create a new SQLite file readable by its owner only (whatever the umask): it holds key
    hashes and logged content. SQLite gives its -wal and -shm files the
    database file's permissions. Its folder must exist: a mistyped folder would otherwise
    become a new tree holding a database nobody looks for."""
    if not path.parent.is_dir():
        raise InputError(
            _("the folder {folder} of the gateway database does not exist", folder=path.parent),
            _("check --db, or create the folder first: mkdir -p {folder}", folder=path.parent),
        )
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        path.chmod(0o600)  # os.open's mode is narrowed by the umask, never widened; be exact


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction. On SQLite the threads of one process queue for it on a lock here:
    left to SQLite, a waiting writer sleeps in its busy handler (1, 2, 5 … 100 ms steps) and
    64 concurrent requests spent most of their time asleep. Other processes still wait in
    SQLite's busy handler; PostgreSQL needs neither."""
    with _WRITE_LOCKS.get(engine) or contextlib.nullcontext():  # SQLite's engines have one
        if getattr(_THREAD, "held", None) is None:
            with engine.begin() as conn:
                yield conn
        else:
            with _held(engine, reads=False) as conn:
                yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only: on SQLite it does not queue behind writers (WAL readers see
    the last commit), which most requests need for their key and limits. Its transaction
    begins with `BEGIN`, not `BEGIN IMMEDIATE`: the dialect reads `READING` from the pooled
    connection's `info` (`sqlite_dialect.py`)."""
    if getattr(_THREAD, "held", None) is not None:
        with _held(engine, reads=True) as conn:
            yield conn
        return
    with engine.connect() as conn:
        info = conn.connection.info  # the pooled connection's: set for this use only
        info[READING] = True
        try:
            yield conn
        finally:
            info.pop(READING, None)


@contextmanager
def connections_held() -> Iterator[None]:
    """In a thread that runs one database call after another (`database_thread.py`): each
    engine's connection stays checked out from one `writing` or `reading` to the next, and
    goes back to the pool when this ends: a checkout and its return (the pool's events, its
    rollback, on SQLite the closing of cursors, on PostgreSQL the pool's ping: a round trip)
    were a tenth to a sixth of the instructions of a stream's database work on SQLite
    (docs/benchmarks.md). A held PostgreSQL connection that the server has ended meanwhile (a
    restart) is noticed before its next use without a round trip (`connection_alive.py`) and
    replaced by one from the pool, pinged there."""
    _THREAD.held = held = {}
    try:
        yield
    finally:
        _THREAD.held = None
        for conn in held.values():
            conn.close()


@contextmanager
def _held(engine: Engine, reads: bool) -> Iterator[Connection]:
    """A transaction on this thread's held connection of `engine` (checked out at its first
    use), ended as a checked-out one ends: a write's committed (or rolled back on an error), a
    read's rolled back, and every cursor closed, so that the connection holds no snapshot
    between uses (see above). A use within another gets a connection of its own; one that
    failed in the database goes back to the pool (invalidated where it was lost)."""
    held = _THREAD.held
    conn = held.pop(engine, None)  # taken: a use within gets its own
    sqlite = engine.dialect.name == "sqlite"
    if conn is not None and not sqlite and not answers(conn):
        conn.invalidate()  # closed, never handed out again
        conn.close()
        conn = None
    if conn is None:
        conn = engine.connect()
    pooled = conn.connection  # its `info` is the pool's record of it, kept across uses
    failed: BaseException | None = None
    try:
        if reads:
            pooled.info[READING] = True
            try:
                yield conn
            finally:
                pooled.info.pop(READING, None)
                conn.rollback()
        else:
            with conn.begin():
                yield conn
    except BaseException as error:
        failed = error
        raise
    finally:
        if isinstance(failed, SQLAlchemyError) or conn.invalidated or engine in held:
            conn.close()
        else:
            if sqlite:
                _close_cursors(pooled.dbapi_connection, pooled)
            held[engine] = conn


def pseudonym_secret(engine: Engine) -> bytes:
    """The key of the audit log's pseudonyms, which `open_store` read (`pseudonym_key`)."""
    return _KEYS[engine][0]


def pseudonym_key_file(engine: Engine) -> Path | None:
    """The file the pseudonym key was read from; None where it is kept in the database."""
    return _KEYS[engine][1]


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # BEGIN is the dialect's (`sqlite_dialect.py`)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a committed transaction survives a killed process (not a power
        # cut between checkpoints), which is the durability the audit log promises.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    event.listen(engine.pool, "checkin", _close_cursors)


def _close_cursors(dbapi_connection: sqlite3.Connection | None, record: object) -> None:
    """Close the cursors a SQLite connection ran since its checkout (or its last held use)."""
    cursors = open_cursors(record.info)  # an invalidated one's are cleared at next checkout
    if dbapi_connection is None:  # invalidated: closed, with its snapshots
        cursors.clear()
        return
    for cursor in list(cursors):
        # A closed connection (sqlite3.Error) holds nothing any more.
        with contextlib.suppress(sqlite3.Error):
            cursor.close()  # resets its statement: the snapshot it held is let go
    cursors.clear()


def _migrate(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # two servers starting at once migrate in turn
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        _refuse_newer(conn, config)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def _refuse_newer(conn: Connection, config: object) -> None:
    """A database that a newer gemeingut has migrated names a revision this one does not
    know: Alembic would fail with its own traceback; say which versions meet instead."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(config)
    known = {revision.revision for revision in script.walk_revisions()}
    stored = MigrationContext.configure(conn).get_current_heads()
    unknown = [revision for revision in stored if revision not in known]
    if unknown:
        raise InputError(
            _(
                "the database comes from a newer gemeingut version (revision {revision}); "
                "this one knows revisions up to {newest}",
                revision=", ".join(unknown),
                newest=script.get_current_head() or "?",
            ),
            _("use the newer gemeingut version, or a backup made with this one"),
        )


def _hold_key(engine: Engine, path: Path | None, lost: bool = False) -> None:
    """Read (or move out of the database, or make) the per-deployment key for pseudonyms,
    one process at a time: without it the audit log's pseudonyms cannot be tied back to
    names, not even by whoever reads the log or holds a copy of the database. `lost`: a new
    key replaces a lost one; a new file whose check value did not commit is removed again."""
    written: Path | None = None  # the new key's file, once written
    try:
        with writing(engine) as conn:
            if conn.dialect.name == "postgresql":  # servers starting at once, in turn
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            if lost:
                key, written = new_key(conn, path), path
            else:
                key = pseudonym_key(conn, path)
    except SQLAlchemyError:
        if written is not None:  # never a key file that was there before
            written.unlink(missing_ok=True)
        raise
    _KEYS[engine] = (key, path)


def insert_or_ignore(conn: Connection, table: Table, **values: object) -> None:
    """INSERT … ON CONFLICT DO NOTHING, which SQLite and PostgreSQL both speak; `values` are
    the parameters of its compiled form (`_ignoring_insert`)."""
    conn.execute(_ignoring_insert(conn.engine, table, tuple(sorted(values))), values)


def _ignoring_insert(engine: Engine, table: Table, columns: tuple[str, ...]) -> Compiled:
    """`table`'s INSERT … ON CONFLICT DO NOTHING of `columns`, compiled once per engine (by
    its dialect, whose options the SQL depends on; an engine that is gone takes it along).
    SQLAlchemy 2.0 keeps no compiled form of its dialects' INSERTs (their `inherit_cache` is
    False, sqlalchemy#10445), so it compiled this one anew at every call (quota counters: one
    per limit and request), which cost several times what SQLite took to run it."""
    compiled = _IGNORING_INSERTS.setdefault(engine, {})
    found = compiled.get((table, columns))
    if found is None:
        dialect = engine.dialect
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        # Each column a parameter of its name: one the table lacks is a CompileError here,
        # as with `.values(**values)` (`column_keys` would leave it out without a word).
        given = {name: bindparam(name) for name in columns}
        found = insert(table).values(given).on_conflict_do_nothing().compile(dialect=dialect)
        compiled[(table, columns)] = found  # two threads may both compile it: the same SQL
    return found


def shown_database(value: str) -> str:
    """The database at `value` as a person is told it: a SQLite file's full path, a server's
    URL without its password."""
    url = database_url(value)
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    return _safe(value)


def _safe(url: str) -> str:
    """The URL without its password, for messages: read as SQLAlchemy reads it, for libpq
    takes a password in the user part and in the query (`?password=…`, `?sslpassword=…`)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # not a URL SQLAlchemy reads: only its scheme
        return url.split("://", 1)[0] + "://…"
    secret = [name for name in parsed.query if name.lower() in SECRET_QUERY]
    return parsed.difference_update_query(secret).render_as_string(hide_password=True)
