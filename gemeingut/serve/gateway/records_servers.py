"""Each server process's settings for the record of processing activities, and which of them
the record describes.

Several servers may share one database (in-process ones and gateways relaying to an engine);
the record must describe what all of them do, not only the last one started. So each start
stores its settings under its own process (`server.KEY.`, KEY from the machine and the
PID, as `leases.py` registers the process), and the record reads the union of those that
count:

- a server that runs now (registered with a heartbeat, `leases.py`), however long ago it
  started;
- one that ended without a clean stop (killed, crashed, its machine gone) until `KEEP_DAYS`
  after its last heartbeat (plus `leases.STOPPED_AFTER`, after which a silent process counts
  as stopped; its start, where no heartbeat of it is known): it may come back as it was, and a
  record that forgets a recipient is worse than one that names it a while longer (the
  document marks it so, with its last heartbeat and the outage since, `Outage`);
- such a one started again as it was (same host, port and settings, the record's identity
  of a deployment; a new process, so a new key) after its last heartbeat: `RESTARTED`, ended
  at its last heartbeat, listed under the server that took its place with the outage between
  (a server on another port is one beside it, not its restart; the port is the one asked
  for, as `--port 0` binds another at each start; a start stored by an earlier version
  without it is compared by the port bound, one without any port by host and settings).
  Each start takes the place of one such server at most: of two killed beside each other,
  one started again leaves the other silent;
- one stopped cleanly (`record_stop`, at the end of its lifespan) until a server starts after
  its stop (a restart, perhaps with other settings, replaces it), at most `KEEP_DAYS` after
  its stop: a deployment stopped for maintenance is described as it was. Once replaced it is
  still listed, marked, until then, so that a change of setup stays visible.

Entries past `KEEP_DAYS` that do not run are deleted by the next start; one of a server that
does run, taken for stopped while its database was away, is written again when its heartbeat
registers it again (`records.record_again`). Settings stored by an
earlier version under `deployment.` (the last start's, of an unknown process) count as one
such server until `KEEP_DAYS` after their start.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, false, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from gemeingut.i18n import _, text
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.leases import (
    BEAT_STAMP,
    LAST_BEAT,
    RECORD_PREFIX,
    STOPPED_AFTER,
    driver_reason,
    process_key,
    stopped,
    this_machine,
)
from gemeingut.serve.gateway.long_settings import read_long_settings, write_long_setting
from gemeingut.serve.gateway.store import writing
from gemeingut.serve.gateway.tables import audit_log, server_processes, settings

log = logging.getLogger("gemeingut.serve")

LEGACY_PREFIX = "deployment."  # before each server kept its own: the last start's
KEEP_DAYS = 30
STAMP = BEAT_STAMP  # starts and stops to the second, as heartbeats
MINUTE_STAMP = "%Y-%m-%d %H:%M UTC"  # as earlier versions stored them
RUNNING, SILENT, STOPPED, REPLACED = "running", "silent", "stopped", "replaced"
RESTARTED = "restarted"
# Not settings of what a server does: two starts alike in all else are one deployment.
NOT_IDENTITY = frozenset({"started", "stopped", LAST_BEAT})
REFUSED = 503  # the status of a request the deployment could not serve (`Outage`)
# Below it, a request was served: a 404 (its model served nowhere) or other refusal of a
# server of the database says nothing of the model being back.
SERVED_BELOW = 400
PORT = "port"  # the port bound: part of the identity where both starts stored it
PORT_ASKED = "port_asked"  # `--port`, 0 for any free one: the identity where both stored it


@dataclass(frozen=True)
class Outage:
    """What the audit log says of the time since a server's last sign of life (the later of
    its last heartbeat and the last record it wrote), of requests for the model(s) it served:
    when it ended, at the first one served by another process (a record of an earlier
    version names none and counts as another's) or at the server's restart, whichever came
    first (`by_restart`; None: neither yet), and how many the log holds as answered 503 until
    then (a request refused at the connection limit, or sent to the server that is down,
    never reaches the log)."""

    since: datetime
    ended: datetime | None
    refused: int
    by_restart: bool = False


@dataclass(frozen=True)
class Server:
    """One server process's stored settings and what became of it: `RUNNING`, `SILENT`
    (no heartbeat, not stopped cleanly), `STOPPED` (cleanly, at `facts['stopped']`),
    `REPLACED` (stopped cleanly, and a server started since) or `RESTARTED` (silent, and
    started again as it was, as `restarted_as`)."""

    key: str
    facts: dict[str, str]
    state: str
    until: datetime  # counted (or listed, once stopped) until then, unless it runs
    last_beat: datetime | None = None  # where it no longer runs and its heartbeat was seen
    restarted_as: str | None = None
    outage: Outage | None = None  # since its last sign of life, where it ended so

    @property
    def last_sign(self) -> datetime | None:
        """Its last sign of life, as the record names it wherever it speaks of this server:
        the start of its outage (the later of its last heartbeat and its last audit record),
        else its last heartbeat."""
        return self.outage.since if self.outage else self.last_beat

    @property
    def counts(self) -> bool:
        return self.state not in (REPLACED, RESTARTED)

    @property
    def identity(self) -> tuple[tuple[str, str], ...]:
        """What makes two starts one deployment: host, port and every setting."""
        return tuple(sorted((n, v) for n, v in self.facts.items() if n not in NOT_IDENTITY))

    @property
    def models(self) -> list[str]:
        """The model name(s) it recorded: the requests an outage of it is told by."""
        return [self.facts["model"]] if self.facts.get("model") else []

    def same_deployment(self, other: Server) -> bool:
        """Whether `other` is this deployment (`identity`): the same host and settings, and
        the same port asked for where both stored it (a `--port 0` server binds another at
        each start), else the same port bound; a start stored without either (an earlier
        version) is compared by host and settings alone."""
        if _without_ports(self.identity) != _without_ports(other.identity):
            return False
        for port in (PORT_ASKED, PORT):
            if port in self.facts and port in other.facts:
                return self.facts[port] == other.facts[port]
        return True


def _without_ports(identity: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple((name, value) for name, value in identity if name not in (PORT, PORT_ASKED))


def this_process() -> str:
    """This process's key, as its settings and each audit record it writes are kept under."""
    return _process_of(os.getpid())


@functools.cache
def _process_of(pid: int) -> str:
    """Once per process (a forked one has its own PID): every audit record asks for it."""
    return process_key(this_machine(), pid)


def host_name() -> str:
    return socket.gethostname()


def write_server(conn: Connection, instance: str, facts: dict[str, str | None]) -> None:
    """Store a start's settings under its process, dropping what a clean stop marked before,
    and delete the entries past `KEEP_DAYS` that do not run (in the caller's transaction)."""
    for name, value in facts.items():
        write_long_setting(conn, f"{RECORD_PREFIX}{instance}.", name, value or "")
    write_long_setting(conn, f"{RECORD_PREFIX}{instance}.", "stopped", "")
    write_long_setting(conn, f"{RECORD_PREFIX}{instance}.", LAST_BEAT, "")
    now = utcnow()
    for server in _servers(conn, now):
        if server.key and server.key != instance and server.state != RUNNING and server.until < now:
            conn.execute(
                settings.delete().where(
                    settings.c.name.startswith(f"{RECORD_PREFIX}{server.key}.", autoescape=True)
                )
            )


def record_stop(engine: Engine, instance: str | None = None) -> None:
    """Mark this process's settings as stopped cleanly: the record no longer counts them. A
    database away at the stop is said in one line; the entry then counts until `KEEP_DAYS`."""
    key = instance or this_process()
    try:
        with writing(engine) as conn:
            write_long_setting(conn, f"{RECORD_PREFIX}{key}.", "stopped", utcnow().strftime(STAMP))
    except SQLAlchemyError as error:
        said = _(
            "the server's stop could not be noted for the record of processing activities: {cause}",
            cause=driver_reason(error),
        )
        log.warning("%s", text(said))


def read_servers(engine: Engine, now: datetime) -> list[Server]:
    """Every stored server's settings, newest start first, past ones left out; one that
    ended without a clean stop with the outage since its last heartbeat."""
    with engine.connect() as conn:
        servers = _servers(conn, now)
        starts = {s.key: _started(s) for s in servers}
        restart = lambda s: starts[s.restarted_as] if s.restarted_as else None  # noqa: E731
        return [
            replace(s, outage=_outage(conn, s, s.last_beat, restart(s))) if s.last_beat else s
            for s in servers
            if s.state == RUNNING or s.until >= now
        ]


def _outage(conn: Connection, server: Server, beat: datetime, restart: datetime | None) -> Outage:
    """The `Outage` of silent `server`, its last heartbeat at `beat`, from the audit log's
    requests for its models (a request for another model says nothing of this server's; none
    known: any request). It starts at its last sign of life, the later of `beat` and its own
    last record: a server killed mid-load answers until the kill. It ends at the first request
    another process served (`SERVED_BELOW`; the dying server's own answers say nothing of it
    being back), or at the `restart` where that came first (a restarted server is back, asked
    or not); the 503s counted are other processes' until then (none of the restarted
    server's; no end yet: until now). A record that names no process (written before
    revision 0011) is another's where this server named itself in its own records; else it
    may be this server's own answer, and ends the outage only where no restart does (the
    rule before, the best the log can say); its 503 counts, as before."""
    audit = audit_log.c
    its = [audit.model.in_(server.models)] if server.models else []
    own = select(func.max(audit.at)).where(audit.at >= beat, audit.server == server.key)
    named_own = conn.execute(own).scalar_one()
    since = named_own or beat
    unnamed = audit.server.is_(None)
    others = [audit.at >= since, or_(unnamed, audit.server != server.key), *its]
    back = unnamed if named_own or restart is None else false()
    served = conn.execute(
        select(func.min(audit.at)).where(
            audit.status < SERVED_BELOW,
            audit.at >= since,
            or_(back, audit.server != server.key),
            *its,
        )
    ).scalar_one()
    by_restart = restart is not None and (served is None or restart < served)
    ended = restart if by_restart else served
    refused = select(func.count()).where(audit.status == REFUSED, *others)
    if ended is not None:
        refused = refused.where(audit.at < ended)
    return Outage(since, ended, int(conn.execute(refused).scalar_one()), by_restart)


def _servers(conn: Connection, now: datetime) -> list[Server]:
    machine = this_machine()
    running: set[str] = set()
    beats: dict[str, datetime] = {}  # of registered processes that stopped
    for row in conn.execute(select(server_processes)).mappings():
        key = process_key(row["machine"], row["pid"])
        if not stopped(row, now, machine):
            running.add(key)
        elif key not in beats or beats[key] < row["beat_at"]:
            beats[key] = row["beat_at"]
    names = conn.execute(
        select(settings.c.name).where(settings.c.name.startswith(RECORD_PREFIX))
    ).scalars()
    keys = sorted({name.removeprefix(RECORD_PREFIX).split(".", 1)[0] for name in names})
    found = [(key, read_long_settings(conn, f"{RECORD_PREFIX}{key}.")) for key in keys]
    found.append(("", read_long_settings(conn, LEGACY_PREFIX)))
    servers = []
    for key, stored in found:
        facts = {name: value for name, value in stored.items() if value}
        if "started" not in facts:  # a retention set by hand is no server's start
            continue
        state = STOPPED if facts.get("stopped") else RUNNING if key in running else SILENT
        beat = _last_beat(beats.get(key), facts.get(LAST_BEAT)) if state == SILENT else None
        if facts.get("stopped"):
            last = when(facts["stopped"])
        else:
            last = beat + STOPPED_AFTER if beat else when(facts["started"])
        servers.append(Server(key, facts, state, last + timedelta(days=KEEP_DAYS), beat))
    servers = [replace(s, state=REPLACED) if _replaced(s, servers) else s for s in servers]
    return sorted(_restarted(servers), key=_started, reverse=True)


def _started(server: Server) -> datetime:
    return when(server.facts["started"])


def _started_since(server: Server, when: datetime) -> bool:
    """Whether `server` started at or after `when`; to the minute where its start is stored
    so (by an earlier version)."""
    try:
        datetime.strptime(server.facts["started"], MINUTE_STAMP)
    except ValueError:
        return _started(server) >= when.replace(microsecond=0)
    return _started(server) >= when.replace(second=0, microsecond=0)


def _last_beat(registered: datetime | None, kept: str | None) -> datetime | None:
    """A silent server's last heartbeat: its registration's, else the one kept when it was
    removed (`leases`); None where neither is known (it never registered, or a version
    before this one removed it)."""
    found = [registered] if registered else []
    if kept:
        found.append(when(kept))
    return max((when for when in found if when != datetime.min), default=None)


def _restarted(servers: list[Server]) -> list[Server]:
    """`servers`, each silent one `RESTARTED` where it ended at its last heartbeat and the
    same deployment (`Server.same_deployment`) started again after it: the earliest such
    start not taken by one that fell silent before it took its place (two `--port 0` servers
    killed beside each other, one started again: it is one's restart, the other stays
    silent). Starts stored by earlier versions to the minute: one in the minute of the last
    heartbeat counts too."""
    silent = [s for s in servers if s.state == SILENT and s.last_beat is not None]
    taken: dict[str, str] = {}  # the silent server's key: the one that took its place
    for server in sorted(silent, key=lambda s: (s.last_beat, s.key)):
        later = [
            other
            for other in servers
            if other.key != server.key
            and other.key not in taken.values()
            and other.same_deployment(server)
            and _started(other) > _started(server)
            and _started_since(other, server.last_beat)
        ]
        if later:
            taken[server.key] = min(later, key=_started).key
    return [
        replace(s, state=RESTARTED, restarted_as=taken[s.key]) if s.key in taken else s
        for s in servers
    ]


def _replaced(server: Server, servers: list[Server]) -> bool:
    """Whether `server` stopped cleanly and another one started since (to the minute where
    that start is stored so, by an earlier version on the same database)."""
    if server.state != STOPPED:
        return False
    stop = when(server.facts["stopped"])
    return any(o.key != server.key and _started_since(o, stop) for o in servers)


def when(stamp: str) -> datetime:
    """A stored start, stop or heartbeat; `datetime.min` where it is read as neither form."""
    for form in (STAMP, MINUTE_STAMP):
        try:
            return datetime.strptime(stamp, form)
        except ValueError:  # written by hand, or by a version with another format
            continue
    return datetime.min
