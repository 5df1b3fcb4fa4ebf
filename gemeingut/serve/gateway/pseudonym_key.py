"""The key of the audit log's pseudonyms, kept apart from the database that holds the log.

A pseudonym is an HMAC of a person's salt (or an operator's name) with this key. Kept in the
same database, whoever got a copy of it (a backup, an export, a replica) had both and could tie
every record to a name: `users` lists each name with its salt, and an operator's name can be
guessed. So the key lies in a file readable by its owner only: beside a SQLite database
(`gateway.db.pseudonym-key`), or where `GEMEINGUT_PSEUDONYM_KEY` names (needed for
PostgreSQL, whose servers may run on several machines: each gets a copy of the one file).

The database keeps only a check value of the key (an HMAC of a fixed text: it does not reveal
the key), so that a file that is not this database's key, or a key file gone missing, is
refused instead of silently starting new pseudonyms that no longer match the log's. A database
from before keeps its key in `settings`: the first start that knows where the file goes writes
it there and deletes it from the database; the key, and so every pseudonym, stays the same.
PostgreSQL without `GEMEINGUT_PSEUDONYM_KEY` keeps it in the database, as before (the record
of processing activities says so). The move is refused while a server process of the database
runs, which read the key from the database and whose next worker could not start after it; a
move that is made is said as a warning (every server needs the file from then on).

A key file that is lost can only be replaced by a new key, deliberately (`new_key`, run by
`gemeingut admin audit new-pseudonym-key`): the earlier records' pseudonyms then belong to
nobody who can be named, and the database keeps when that happened (`RENEWED`) for the
record of processing activities.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, delete, select

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, plural, text
from gemeingut.release.openness.sentences import joined
from gemeingut.serve.gateway.local_clock import iso_utc, local_date_time
from gemeingut.serve.gateway.tables import settings

KEY_FILE_ENV = "GEMEINGUT_PSEUDONYM_KEY"
SUFFIX = ".pseudonym-key"  # beside a SQLite database: gateway.db.pseudonym-key
IN_DATABASE = "pseudonym_secret"  # the settings row of a key kept in the database
CHECK = "pseudonym_key_check"  # the settings row of the key's check value
RENEWED = "pseudonym_key_renewed"  # the settings row: when a new key last replaced a lost one
_KEY = re.compile(r"[0-9a-f]{64}")
_CHECK_TEXT = b"gemeingut pseudonym key check"

log = logging.getLogger("gemeingut.serve")


def key_file(sqlite_path: str | None) -> Path | None:
    """Where the key lies: the file `GEMEINGUT_PSEUDONYM_KEY` names, else beside a SQLite
    database; None: in the database (PostgreSQL without the variable)."""
    named = os.environ.get(KEY_FILE_ENV)
    if named:
        return Path(named).expanduser().resolve()
    if sqlite_path is not None:
        return Path(sqlite_path + SUFFIX)
    return None


def check_value(key: bytes) -> str:
    return hmac.new(key, _CHECK_TEXT, hashlib.sha256).hexdigest()


def pseudonym_key(conn: Connection, path: Path | None) -> bytes:
    """The deployment's key, in the caller's write transaction (one process at a time): read
    from `path`, moved there from the database, or made there for a new database."""
    stored = _stored(conn)
    in_database, check = stored.get(IN_DATABASE), stored.get(CHECK)
    if path is None:
        return _kept_in_database(conn, in_database, check)
    if path.exists():
        key = _read(path)
        if check is not None and not hmac.compare_digest(check, check_value(key)):
            raise _not_this_databases(path, stored.get(RENEWED))
        if in_database is not None and bytes.fromhex(in_database) != key:
            raise _not_this_databases(path)
    elif in_database is not None:  # a database from before: its key moves out, unchanged
        key = _move_out(conn, path, bytes.fromhex(in_database))
    elif check is not None:  # moved out before, and the file is not there
        raise InputError(
            _("the pseudonym key of this database is not at {path}", path=path),
            _(
                "put the key file there (from where the database was first used, or from its "
                "backup), or name it with {variable}; without it the audit log's pseudonyms "
                "would no longer match. A key lost for good is replaced by `gemeingut admin "
                "audit new-pseudonym-key --yes`",
                variable=KEY_FILE_ENV,
            ),
        )
    else:
        key = _write(path, secrets.token_bytes(32))
    if check is None:
        conn.execute(settings.insert().values(name=CHECK, value=check_value(key)))
    if in_database is not None:
        conn.execute(delete(settings).where(settings.c.name == IN_DATABASE))
    return key


def _stored(conn: Connection) -> dict[str, str]:
    """What the database keeps of its key: the key itself (`IN_DATABASE`) or its `CHECK`,
    and when a new key replaced a lost one (`RENEWED`)."""
    chosen = settings.c.name.in_((IN_DATABASE, CHECK, RENEWED))
    return dict(conn.execute(select(settings.c.name, settings.c.value).where(chosen)).all())


def new_key(conn: Connection, path: Path | None) -> bytes:
    """A new key in place of a lost one, in the caller's write transaction: written to `path`
    (never over a file that is there), its check value replacing the old one's, and the
    time kept as `RENEWED` (UTC). Refused where the key is not lost: a file at `path`, or a key the
    database holds (which the next start moves to `path`)."""
    held = conn.execute(select(settings.c.name).where(settings.c.name == IN_DATABASE)).first()
    if held is not None:
        raise InputError(
            _("the pseudonym key of this database is kept in the database, not lost"),
            _(
                "to retire it, name a file with {variable}: the next start moves the key "
                "there; move that file away, then make a new key",
                variable=KEY_FILE_ENV,
            )
            if path is None
            else _("the next start of a server moves it to {path}", path=path),
        )
    if path is None:
        raise InputError(
            _("a new pseudonym key needs a file to go to"),
            _(
                "name it with {variable}, as every server of this database does",
                variable=KEY_FILE_ENV,
            ),
        )
    if path.exists():
        raise InputError(
            _("the pseudonym key at {path} is not lost", path=path),
            _(
                "to retire a key that leaked, move the file away first; a key that is there "
                "needs no new one"
            ),
        )
    _refuse_while_served(conn)
    key = secrets.token_bytes(32)
    conn.execute(delete(settings).where(settings.c.name.in_((CHECK, RENEWED))))
    conn.execute(settings.insert().values(name=CHECK, value=check_value(key)))
    conn.execute(settings.insert().values(name=RENEWED, value=_now_iso()))
    return _write(path, key)  # last: a statement that fails leaves no file behind


def _refuse_while_served(conn: Connection) -> None:
    """Refuse a new key while a server process of the database runs: it holds the old key
    from its start and would go on writing pseudonyms of it. Read in the new key's
    transaction: a server that registers meanwhile (at its start, or with its first admitted
    request where the database failed then) waits for it, then finds the key replaced and
    answers 503 (`refuse_if_replaced`)."""
    serving = _serving(conn)
    if serving:
        count, listed = serving
        raise InputError(
            plural(
                count,
                _(
                    "a server process of this database is running and holds the old pseudonym "
                    "key: {processes}",
                    processes=listed,
                ),
                _(
                    "{n} server processes of this database are running and hold the old "
                    "pseudonym key: {processes}",
                    n=count,
                    processes=listed,
                ),
            ),
            _stop_them_first(),
        )


def _move_out(conn: Connection, path: Path, key: bytes) -> bytes:
    """Move the key the database holds to `path`, unchanged, where no server process of the
    database runs: one started without the file named (PostgreSQL without `KEY_FILE_ENV`)
    reads the key from the database at each start, so that its next worker or restart after
    the move could not start at all. Said as a warning: every server needs the file now."""
    serving = _serving(conn)
    if serving:
        count, listed = serving
        raise InputError(
            plural(
                count,
                _(
                    "the pseudonym key of this database is kept in the database, and a server "
                    "process of it is running, which reads it from there: {processes}",
                    processes=listed,
                ),
                _(
                    "the pseudonym key of this database is kept in the database, and {n} "
                    "server processes of it are running, which read it from there: {processes}",
                    n=count,
                    processes=listed,
                ),
            ),
            _(
                "naming {variable} moves the key to {path}, after which a server without "
                "the file cannot start again; unset {variable} to go on as before, or: {stop}",
                variable=KEY_FILE_ENV,
                path=path,
                stop=_stop_them_first(),
            ),
        )
    _write(path, key)
    log.warning(
        "%s",
        text(
            _(
                "the pseudonym key of this database was moved out of the database to {path}; "
                "every server and admin command of this database now needs a copy of that "
                "file, named with {variable}",
                path=path,
                variable=KEY_FILE_ENV,
            )
        ),
    )
    return key


def _serving(conn: Connection) -> tuple[int, str] | None:
    """The server processes of the database that run now (how many, and each named): those
    registered (`leases.py`) that have not clearly stopped, their PID gone on this machine or
    their heartbeat older than `STOPPED_AFTER`. Read in the caller's transaction."""
    from gemeingut.serve.gateway.identity import utcnow  # both need the store, which needs us
    from gemeingut.serve.gateway.leases import host_of, live_processes

    now = utcnow()
    serving = live_processes(conn, now)
    if not serving:
        return None
    named = [
        _(
            "PID {pid} on {host}, last heartbeat at {when}, {seconds} s ago",
            pid=str(process["pid"]),
            host=host_of(process) or _("an unknown host"),
            when=local_date_time(process["beat_at"]),
            seconds=max(0, int((now - process["beat_at"]).total_seconds())),
        )
        for process in serving
    ]
    return len(serving), joined(named)


def _stop_them_first() -> Message:
    from gemeingut.serve.gateway.leases import STOPPED_AFTER

    return _(
        "stop every server of this database first (`gemeingut serve --db …`), then run "
        "the command again; a server that ended without signing off (killed, or its "
        "machine gone) counts as stopped once its process is gone on this machine, or "
        "{seconds} s after its last heartbeat",
        seconds=int(STOPPED_AFTER.total_seconds()),
    )


class KeyReplaced(InputError):
    """A server's pseudonym key is no longer the database's (`refuse_if_replaced`): its own
    error, so that a request answers it as such (503 `pseudonym_key_replaced`) and no other
    `InputError` is taken for it."""


def refuse_if_replaced(conn: Connection, key: bytes) -> None:
    """Refuse to serve with `key` where the database's key is another one by now: a new key
    was made (`new_key`) after this process read its own at its start and before it
    registered. Read in the registration's transaction (`leases.py`), which the new key's waits
    for, or which waits for it: one of the two refuses (`KeyReplaced`), never neither."""
    stored = _stored(conn)
    in_database = stored.get(IN_DATABASE)
    check = stored.get(CHECK) or (check_value(bytes.fromhex(in_database)) if in_database else "")
    if not hmac.compare_digest(check, check_value(key)):
        raise KeyReplaced(
            _(
                "the pseudonym key of this database was replaced after this server read it at "
                "its start (`gemeingut admin audit new-pseudonym-key`)"
            ),
            _(
                "start the server again: it then reads the new key file (where several servers "
                "share the database, give each a copy of it first)"
            ),
        )


def _now_iso() -> str:
    """Now, to the second, as every stored and exported time in ISO 8601 (`iso_utc`): the
    form `RENEWED` has always been kept in, which `_not_this_databases` reads back."""
    return iso_utc(datetime.now(UTC).replace(microsecond=0))


def _kept_in_database(conn: Connection, in_database: str | None, check: str | None) -> bytes:
    if in_database is not None:
        return bytes.fromhex(in_database)
    if check is not None:
        raise InputError(
            _("the pseudonym key of this database is kept in a file, which is not named"),
            _(
                "name the key file with {variable} (a copy of the file the other servers of "
                "this database use)",
                variable=KEY_FILE_ENV,
            ),
        )
    key = secrets.token_bytes(32)
    conn.execute(settings.insert().values(name=IN_DATABASE, value=key.hex()))
    return key


def _read(path: Path) -> bytes:
    try:
        written = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(
            _("cannot read the pseudonym key {path}: {error}", path=path, error=str(error)),
            _("check the file's owner and permissions (it is readable by its owner only)"),
        ) from None
    if not _KEY.fullmatch(written):
        raise _not_this_databases(path)
    return bytes.fromhex(written)


def _write(path: Path, key: bytes) -> bytes:
    """Write `key` to a new file at `path`, readable by its owner only (whatever the umask),
    whole or not at all: a reader never meets half a key."""
    if not path.parent.is_dir():
        raise InputError(
            _("the folder {folder} of the pseudonym key does not exist", folder=path.parent),
            _("check {variable}, or create the folder first", variable=KEY_FILE_ENV),
        )
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    try:
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(handle, 0o600)  # os.open's mode is narrowed by the umask, never widened
            _give_folder_owner(handle, path.parent)
            os.write(handle, key.hex().encode() + b"\n")
            os.fsync(handle)
        finally:
            os.close(handle)
        try:
            os.link(partial, path)  # fails where the file is there: never overwrites a key
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
    except OSError as error:  # a folder we may not write, a read-only disk, a dangling link
        raise InputError(
            _("cannot write the pseudonym key {path}: {error}", path=path, error=str(error)),
            _(
                "check the folder's permissions, or name a file the server may write with "
                "{variable}",
                variable=KEY_FILE_ENV,
            ),
        ) from None
    return key


def _give_folder_owner(handle: int, folder: Path) -> None:
    """Root (an admin command run with sudo) gives the new key file the owner of its folder, as
    SQLite gives its -wal file the database's owner: a key only root may read would stop the
    server, which runs as that owner, at its next start."""
    if os.geteuid() == 0:
        owner = folder.stat()
        os.fchown(handle, owner.st_uid, owner.st_gid)


def _not_this_databases(path: Path, renewed: str | None = None) -> InputError:
    """The key at `path` is not the database's; where the database got a new key
    (`renewed`, UTC), most likely a copy of the key from before it, kept where a server of the
    database starts (`new_key` makes the new file on the machine it runs on)."""
    if renewed is not None:
        when = datetime.fromisoformat(renewed).replace(tzinfo=None)
        return InputError(
            _(
                "{path} is not the pseudonym key of this database, which got a new key at "
                "{when} (`gemeingut admin audit new-pseudonym-key`)",
                path=path,
                when=local_date_time(when),
            ),
            _(
                "copy the new key file (from where that command made it) to {path}, or name "
                "it with {variable}; a server with another key would write pseudonyms that "
                "match no one's",
                path=path,
                variable=KEY_FILE_ENV,
            ),
        )
    return InputError(
        _("{path} is not the pseudonym key of this database", path=path),
        _(
            "name the key file this database was used with ({variable}); a new key would give "
            "every person a new pseudonym",
            variable=KEY_FILE_ENV,
        ),
    )
