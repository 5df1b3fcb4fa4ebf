"""What a server process killed mid-request leaves behind is freed within a minute, not an hour.

A request reserves tokens and stream places in shared counters (`quotas.py`); settling gives
them back. A process killed with SIGKILL, or whose machine went away, never settles: its stream
places would block its user's streams for the hour of `quotas.STREAM_LEASE`, its tokens stay
reserved until midnight. So each server process of a gateway registers itself
(`server_processes`: where it runs, its PID, a heartbeat every `BEAT_SECONDS`) at its own start,
before its model loads (each worker of `--workers` after it was started, not their parent),
else before its first reservation, and each reservation that holds anything is written down
under it as a lease (`leases`, in the reservation's transaction, deleted by its settlement).

A process has stopped when its heartbeat is older than `STOPPED_AFTER`, or at once when it ran
on this machine (same host, boot and PID namespace) and its PID is gone. Every live process,
with each heartbeat and when it registers, removes the stopped ones and settles their leases as
requests of unknown use (`gate.Admission`'s rule: the whole reservation counts as used) — so a
restarted worker frees its dead predecessor's places as it starts. A stream refused because
every place is taken asks who holds them (`holders`): a place of a stopped process is freed and
the stream tries again; one of a process that stopped beating is waited for until it counts as
stopped, which the 429 says, with Retry-After to then.

A process that stopped leaves when it last beat under its settings for the record of processing
activities (`records_servers.py`), as its registration is removed: the record counts a server
that ended without a clean stop from its last sign of life, not from its start.

A process taken for stopped that lives on (a pause longer than `STOPPED_AFTER`) registers
again with its next heartbeat; its requests' settlements find their leases gone and settle
nothing twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, RowMapping, delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from gemeingut.i18n import _, plural, text
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.long_settings import write_long_setting
from gemeingut.serve.gateway.pseudonym_key import KeyReplaced, refuse_if_replaced
from gemeingut.serve.gateway.quotas import (
    STAMP,
    STREAM,
    STREAM_LEASE,
    held_by_lease,
    lease_start,
    settle,
)
from gemeingut.serve.gateway.store import MIGRATION_LOCK, pseudonym_secret, reading, writing
from gemeingut.serve.gateway.tables import (
    MEMBER_SEPARATOR,
    leases,
    member_counter,
    server_processes,
    settings,
    usage_counters,
)

log = logging.getLogger("gemeingut.serve")

BEAT_SECONDS = 10
# A heartbeat this old: the process has stopped (several beats missed, not one slow write).
STOPPED_AFTER = timedelta(seconds=45)
# A heartbeat this old: the process may have stopped; its places are waited for, not counted
# on to end any moment.
LATE_AFTER = timedelta(seconds=2 * BEAT_SECONDS)
# The record's settings of each server process (`records_servers.py`), and the form of the
# last heartbeat kept there when a stopped process's registration is removed.
RECORD_PREFIX = "server."
LAST_BEAT = "last_beat"
BEAT_STAMP = "%Y-%m-%d %H:%M:%S UTC"


def process_key(machine: str | None, pid: int) -> str:
    """The key of a server process's settings for the record: its machine and PID."""
    return hashlib.sha256(f"{machine}|{pid}".encode()).hexdigest()[:12]


def this_machine() -> str | None:
    """Where a PID names one process: host, boot and PID namespace (two containers on one
    host have PIDs of their own); None where the system does not tell (no `/proc`)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    return f"{socket.gethostname()}|{boot}|{namespace}"[:200]


def pid_gone(pid: int) -> bool:
    """Whether no process (or only a zombie, killed and not yet reaped) has this PID here."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # another user's process: alive
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def stopped(process: RowMapping, now: datetime, machine: str | None) -> bool:
    """Whether the registered `process` has stopped, seen from `machine` at `now`."""
    if process["beat_at"] < now - STOPPED_AFTER:
        return True
    here = machine is not None and process["machine"] == machine
    return here and process["pid"] != os.getpid() and pid_gone(process["pid"])


class Leases:
    """This server process's registration and heartbeat, for the gateway on `engine`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.id = uuid.uuid4().hex
        self.machine = this_machine()
        self._started = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Called in the transaction that registers this process again after the others took
        # it for stopped: meanwhile a start may have deleted what it recorded for the record
        # of processing activities (`records.record_again`).
        self.registered_again: Callable[[Connection], None] | None = None

    @property
    def started(self) -> bool:
        return self._started

    def start(self) -> str:
        """Register this process (once), free what stopped ones hold, start the heartbeat;
        the process's id, which its leases name. Called at the process's own start, before
        its model loads (inside each worker of `--workers`: `register_before_loading`), at its
        app's start where the database failed then (`register_now`), and again with the first
        admitted request (`gate.Gateway.owner`) where it failed then too. Refused
        (`KeyReplaced`) where the database's pseudonym key is no longer the one this process
        read at its start: a new key made meanwhile (`pseudonym_key.refuse_if_replaced`), in
        turn with it (SQLite's write lock, PostgreSQL's advisory lock that the new key takes
        too)."""
        with self._lock:
            if not self._started:
                with writing(self.engine) as conn:
                    if conn.dialect.name == "postgresql":
                        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                    refuse_if_replaced(conn, pseudonym_secret(self.engine))
                    self._register(conn, utcnow())
                    _reclaim(conn, utcnow(), self.machine)
                self._thread = threading.Thread(
                    target=_keep_beating,
                    args=(weakref.ref(self), self._stop),
                    name="gemeingut-heartbeat",
                    daemon=True,
                )
                self._thread.start()
                self._started = True
        return self.id

    def _register(self, conn: Connection, now: datetime) -> None:
        conn.execute(
            insert(server_processes).values(
                id=self.id, machine=self.machine, pid=os.getpid(), started_at=now, beat_at=now
            )
        )

    def beat(self) -> int:
        """Say that this process lives (registered again where others took it for stopped)
        and free what stopped ones hold: how many of their leases were settled."""
        now = utcnow()
        with writing(self.engine) as conn:
            mine = server_processes.c.id == self.id
            if conn.execute(update(server_processes).where(mine).values(beat_at=now)).rowcount == 0:
                self._register(conn, now)
                if self.registered_again is not None:
                    self.registered_again(conn)
            return _reclaim(conn, now, self.machine)

    def close(self) -> None:
        """Stop the heartbeat and unregister: leases still held (none, after a clean stop)
        are freed by the other processes."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._started:
            with writing(self.engine) as conn:
                conn.execute(delete(server_processes).where(server_processes.c.id == self.id))
            self._started = False


def _keep_beating(leases: weakref.ref[Leases], stop: threading.Event) -> None:
    """`Leases.beat` every `BEAT_SECONDS` until `stop` is set or the leases are gone (a
    gateway dropped without `close`: its process no longer serves with it). A database away
    for a while is logged once, with the cause, until it answers again."""
    failing = False
    while not stop.wait(BEAT_SECONDS):
        live = leases()
        if live is None:
            return
        try:
            live.beat()
        except SQLAlchemyError as error:  # the next beat tries again
            if not failing:
                said = _(
                    "the server process's heartbeat could not be written: {cause}",
                    cause=driver_reason(error),
                )
                log.error("%s", text(said))
            failing = True
        else:
            failing = False
        del live


def register_before_loading(leases: Leases) -> None:
    """Register a server process at its start, before its model loads (`runner.build_app`):
    from then on a new pseudonym key is refused, also while the model loads. Where the database
    fails now, the log says why, in the driver's words, and the app's start (`register_now`),
    then its first request, try again; where the key was replaced since the process read it,
    `KeyReplaced` is raised: the process must not start, as a database server with a wrong key
    does not."""
    try:
        leases.start()
    except SQLAlchemyError as error:
        said = _(
            "the server process could not register in the database (its first request tries "
            "again): {cause}",
            cause=driver_reason(error),
        )
        log.warning("%s", text(said))


def register_now(leases: Leases) -> None:
    """`register_before_loading` at the app's start (its lifespan, in the process that serves),
    for an app that did not register before its model loaded (the database failed then, or it
    was built otherwise). The app has started by now, and a start that fails here would end in
    uvicorn's traceback: a key replaced meanwhile is logged at once, and every request answers
    503 `pseudonym_key_replaced` (`gate.admit`) until the server is started again."""
    try:
        register_before_loading(leases)
    except KeyReplaced as stale:
        log.error("%s", stale)


def driver_reason(error: SQLAlchemyError) -> str:
    """The first line of the database driver's own words for `error`."""
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]


def live_processes(conn: Connection, now: datetime) -> list[RowMapping]:
    """The registered server processes that have not clearly stopped (`stopped`, seen from
    this machine): what must end before a change that each server takes up only at its start
    (a new pseudonym key) may be made."""
    machine = this_machine()
    registered = conn.execute(select(server_processes).order_by(server_processes.c.started_at))
    return [process for process in registered.mappings() if not stopped(process, now, machine)]


def host_of(process: RowMapping) -> str | None:
    """The host name a registered process ran on (None where its system did not tell)."""
    machine = process["machine"]
    return machine.split("|", 1)[0] if machine else None


def reclaim(engine: Engine, now: datetime) -> int:
    """Free what stopped processes hold (`Leases.beat` without a beat): leases settled."""
    with writing(engine) as conn:
        return _reclaim(conn, now, this_machine())


def _reclaim(conn: Connection, now: datetime, machine: str | None) -> int:
    """Remove the processes that stopped, then settle every lease whose process is not
    registered (any more) as a request of unknown use: its reserved tokens count as used, its
    stream places are freed."""
    gone = [
        process
        for process in conn.execute(select(server_processes)).mappings()
        if stopped(process, now, machine)
    ]
    if gone:
        _keep_last_beats(conn, gone)
        ids = [process["id"] for process in gone]
        conn.execute(delete(server_processes).where(server_processes.c.id.in_(ids)))
    registered = select(server_processes.c.id).where(server_processes.c.id == leases.c.process)
    # In one order: two processes that reclaim at once wait for each other, never deadlock.
    unowned = select(leases).where(~registered.exists()).order_by(leases.c.id)
    orphans = conn.execute(unowned).mappings().all()
    for lease in orphans:
        settle(conn, held_by_lease(lease), int(lease["tokens"]))
    if orphans:
        said = plural(
            len(orphans),
            _("1 reservation of a stopped server process freed"),
            _("{n} reservations of stopped server processes freed", n=len(orphans)),
        )
        log.warning("%s", text(said))
    return len(orphans)


def _keep_last_beats(conn: Connection, gone: list[RowMapping]) -> None:
    """Note each stopped process's last heartbeat under its settings for the record, where it
    recorded any: its registration, which held it, is removed now."""
    for process in gone:
        prefix = f"{RECORD_PREFIX}{process_key(process['machine'], process['pid'])}."
        recorded = select(settings.c.name).where(settings.c.name == f"{prefix}started")
        if conn.execute(recorded).first() is not None:
            write_long_setting(conn, prefix, LAST_BEAT, process["beat_at"].strftime(BEAT_STAMP))


@dataclass(frozen=True)
class Holders:
    """Who holds the stream places of a full limit: whether some are held by a process that
    has stopped (free them and try again), and, where every place is held by a process that
    may have stopped (its heartbeat late) or by no process known, when the first is freed at
    the latest (None: some stream runs in a live process and may end any moment)."""

    reclaimable: bool
    freed_by: datetime | None


def holders(engine: Engine, counter: tuple[str, str], now: datetime) -> Holders:
    """`Holders` of the live stream places of the counter (kind, subject); read only for a
    refused stream."""
    kind, subject = counter
    counters = usage_counters.c
    machine = this_machine()
    with reading(engine) as conn:
        places = (
            conn.execute(
                select(counters.window).where(
                    counters.subject_kind == kind,
                    counters.subject == subject,
                    counters.window.like(f"{STREAM}%"),
                    counters.window >= lease_start(now),
                )
            )
            .scalars()
            .all()
        )
        owners = {
            row["place"]: row
            for row in conn.execute(
                select(leases.c.place, server_processes)
                .select_from(
                    leases.outerjoin(server_processes, server_processes.c.id == leases.c.process)
                )
                .where(leases.c.place.in_(places))
            ).mappings()
        }
    ends: list[datetime] = []
    for place in places:
        owner = owners.get(place)
        if owner is None:  # no lease: taken before revision 0010, ends with its hour
            started = datetime.strptime(place[len(STREAM) :].split(":")[0], STAMP)
            ends.append(started + STREAM_LEASE)
        elif owner["id"] is None or stopped(owner, now, machine):
            return Holders(True, None)
        elif owner["beat_at"] < now - LATE_AFTER:
            ends.append(owner["beat_at"] + STOPPED_AFTER + timedelta(seconds=BEAT_SECONDS))
        else:
            return Holders(False, None)  # a live stream: it may end any moment
    return Holders(False, min(ends) if ends else None)


def free_places(engine: Engine, kind: str, subject: str) -> int:
    """`admin quotas free-streams`: the stream places of one key, user or group (a user's also
    under their groups' per-member limits; a group's, also each member's) no longer count;
    what stopped processes hold is settled first. Streams still running go on: their
    settlement finds the place gone and their tokens settle as before. How many were freed."""
    counters = usage_counters.c
    if kind == "user":
        whose = (counters.subject_kind == "user") & (counters.subject == subject)
        member = (counters.subject_kind == "member") & counters.subject.endswith(
            MEMBER_SEPARATOR + subject, autoescape=True
        )
        whose = whose | member
    elif kind == "group":
        whose = (counters.subject_kind == "group") & (counters.subject == subject)
        member = (counters.subject_kind == "member") & counters.subject.startswith(
            member_counter(subject, ""), autoescape=True
        )
        whose = whose | member
    else:
        whose = (counters.subject_kind == kind) & (counters.subject == subject)
    with writing(engine) as conn:
        _reclaim(conn, utcnow(), this_machine())
        done = conn.execute(delete(usage_counters).where(whose, counters.window.like(f"{STREAM}%")))
    return done.rowcount
