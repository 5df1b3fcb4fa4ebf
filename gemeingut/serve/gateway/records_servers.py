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
  after its start: it may come back as it was, and a record that forgets a recipient is worse
  than one that names it a while longer (the document marks it so);
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

import hashlib
import logging
import os
import socket
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import SQLAlchemyError

from gemeingut.i18n import _, text
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.leases import driver_reason, stopped, this_machine
from gemeingut.serve.gateway.long_settings import read_long_settings, write_long_setting
from gemeingut.serve.gateway.store import writing
from gemeingut.serve.gateway.tables import server_processes, settings

log = logging.getLogger("gemeingut.serve")

LEGACY_PREFIX = "deployment."  # before each server kept its own: the last start's
SERVER_PREFIX = "server."
KEEP_DAYS = 30
STAMP = "%Y-%m-%d %H:%M UTC"
RUNNING, SILENT, STOPPED, REPLACED = "running", "silent", "stopped", "replaced"


@dataclass(frozen=True)
class Server:
    """One server process's stored settings and what became of it: `RUNNING`, `SILENT`
    (no heartbeat, not stopped cleanly), `STOPPED` (cleanly, at `facts['stopped']`) or
    `REPLACED` (stopped cleanly, and a server started since)."""

    key: str
    facts: dict[str, str]
    state: str
    until: datetime  # counted (or listed, once stopped) until then, unless it runs

    @property
    def counts(self) -> bool:
        return self.state != REPLACED


def process_key(machine: str | None, pid: int) -> str:
    """The key of a server process's settings: its registration's machine and PID."""
    return hashlib.sha256(f"{machine}|{pid}".encode()).hexdigest()[:12]


def this_process() -> str:
    return process_key(this_machine(), os.getpid())


def host_name() -> str:
    return socket.gethostname()


def write_server(conn: Connection, instance: str, facts: dict[str, str | None]) -> None:
    """Store a start's settings under its process, dropping what a clean stop marked before,
    and delete the entries past `KEEP_DAYS` that do not run (in the caller's transaction)."""
    for name, value in facts.items():
        write_long_setting(conn, f"{SERVER_PREFIX}{instance}.", name, value or "")
    write_long_setting(conn, f"{SERVER_PREFIX}{instance}.", "stopped", "")
    now = utcnow()
    for server in _servers(conn, now):
        if server.key and server.key != instance and server.state != RUNNING and server.until < now:
            conn.execute(
                settings.delete().where(
                    settings.c.name.startswith(f"{SERVER_PREFIX}{server.key}.", autoescape=True)
                )
            )


def record_stop(engine: Engine, instance: str | None = None) -> None:
    """Mark this process's settings as stopped cleanly: the record no longer counts them. A
    database away at the stop is said in one line; the entry then counts until `KEEP_DAYS`."""
    key = instance or this_process()
    try:
        with writing(engine) as conn:
            write_long_setting(conn, f"{SERVER_PREFIX}{key}.", "stopped", utcnow().strftime(STAMP))
    except SQLAlchemyError as error:
        said = _(
            "the server's stop could not be noted for the record of processing activities: {cause}",
            cause=driver_reason(error),
        )
        log.warning("%s", text(said))


def read_servers(engine: Engine, now: datetime) -> list[Server]:
    """Every stored server's settings, newest start first, past ones left out."""
    with engine.connect() as conn:
        return [s for s in _servers(conn, now) if s.state == RUNNING or s.until >= now]


def _servers(conn: Connection, now: datetime) -> list[Server]:
    machine = this_machine()
    running = {
        process_key(row["machine"], row["pid"])
        for row in conn.execute(select(server_processes)).mappings()
        if not stopped(row, now, machine)
    }
    names = conn.execute(
        select(settings.c.name).where(settings.c.name.startswith(SERVER_PREFIX))
    ).scalars()
    keys = sorted({name.removeprefix(SERVER_PREFIX).split(".", 1)[0] for name in names})
    found = [(key, read_long_settings(conn, f"{SERVER_PREFIX}{key}.")) for key in keys]
    found.append(("", read_long_settings(conn, LEGACY_PREFIX)))
    servers = []
    for key, stored in found:
        facts = {name: value for name, value in stored.items() if value}
        if "started" not in facts:  # a retention set by hand is no server's start
            continue
        last = _when(facts.get("stopped") or facts["started"])
        state = STOPPED if facts.get("stopped") else RUNNING if key in running else SILENT
        servers.append(Server(key, facts, state, last + timedelta(days=KEEP_DAYS)))
    servers = [replace(s, state=REPLACED) if _replaced(s, servers) else s for s in servers]
    return sorted(servers, key=lambda s: s.facts["started"], reverse=True)


def _replaced(server: Server, servers: list[Server]) -> bool:
    """Whether `server` stopped cleanly and another one started since."""
    if server.state != STOPPED:
        return False
    stop = _when(server.facts["stopped"])
    return any(o.key != server.key and _when(o.facts["started"]) >= stop for o in servers)


def _when(stamp: str) -> datetime:
    try:
        return datetime.strptime(stamp, STAMP)
    except ValueError:  # written by hand, or by a version with another format
        return datetime.min
