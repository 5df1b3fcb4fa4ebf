"""A server that ended without a clean stop counts in the record of processing activities from
its last heartbeat, not from its start; started again as it was, it is one deployment with the
outage between (when it ended, how many requests got 503 in it, from the audit log); models
are kept as a list and joined only where the record is written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine, insert, select

from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.leases import STOPPED_AFTER, reclaim
from gemeingut.serve.gateway.long_settings import write_long_setting
from gemeingut.serve.gateway.records import (
    ControllerFacts,
    as_json,
    deployment_facts,
    read_record,
    record_deployment,
)
from gemeingut.serve.gateway.records_servers import (
    KEEP_DAYS,
    MINUTE_STAMP,
    STAMP,
    process_key,
)
from gemeingut.serve.gateway.records_text import render_record
from gemeingut.serve.gateway.store import open_store, writing
from gemeingut.serve.gateway.tables import server_processes
from tests.http_server import start_serving
from tests.serve.conftest import MODEL_NAME
from tests.serve.gateway.audit_rows import answered

ENGINE = "http://gpu-1:8000"
GUIDE = Path(__file__).parents[3] / "docs" / "operating.md"
RELAYED = "Anfragen und Antworten gehen an die Inferenz-Maschine `http://gpu-1:8000`."


def _registered(engine: Engine, machine: str, pid: int, started: datetime, beat: datetime) -> str:
    """A server process as `leases.Leases` registers it; the key of its record's settings."""
    with writing(engine) as conn:
        conn.execute(
            insert(server_processes).values(
                id=f"p{pid}", machine=machine, pid=pid, started_at=started, beat_at=beat
            )
        )
    return process_key(machine, pid)


def test_a_long_running_server_that_crashed_counts_from_its_last_heartbeat(
    store_url: str,
) -> None:
    """A gateway that ran 40 days and was killed two minutes ago: the record names its engine
    for 30 days from its last heartbeat (it was deleted as past the keeping period by the next
    start, counted from its start)."""
    engine = open_store(store_url)  # SQLite and PostgreSQL
    now = utcnow().replace(microsecond=0)
    started, beat = now - timedelta(days=40), now - timedelta(minutes=2)
    key = _registered(engine, "gw-9", 4242, started, beat)
    record_deployment(engine, deployment_facts("m", ENGINE, 30, None, started), key)
    assert reclaim(engine, now) == 0  # its registration goes, its last heartbeat is kept
    with engine.connect() as conn:
        assert conn.execute(select(server_processes)).first() is None
    record_deployment(engine, deployment_facts("m", None, 30, None, now), "local")  # a start
    document = render_record(read_record(engine, ControllerFacts(), now))
    assert RELAYED in document
    until = beat + STOPPED_AFTER + timedelta(days=30)
    line = next(line for line in document.splitlines() if "gpu-1:8000` weiter" in line)
    assert f"letztes Lebenszeichen am {beat:{STAMP}}" in line
    assert f"gilt als laufend bis {beat + STOPPED_AFTER:{STAMP}}" in line
    assert f"zählt mit bis {until:%Y-%m-%d}" in line
    later = read_record(engine, ControllerFacts(), until - timedelta(minutes=1))
    assert RELAYED in render_record(later)
    gone = read_record(engine, ControllerFacts(), until + timedelta(minutes=1))
    assert RELAYED not in render_record(gone)


def test_a_killed_and_restarted_server_is_one_deployment_with_its_outage(
    store_url: str,
) -> None:
    """Killed, then started again as it was: listed once, the earlier run ended at its last
    heartbeat, the outage until the first answered request and its 503s from the audit log."""
    engine = open_store(store_url)
    now = utcnow().replace(microsecond=0)
    started, beat = now - timedelta(hours=2), now - timedelta(minutes=30)
    old = _registered(engine, "gw-9", 4242, started, beat)
    facts = deployment_facts("m", ENGINE, 30, None, started)
    record_deployment(engine, facts, old)
    reclaim(engine, now)  # the restart frees what the killed process held
    answered(engine, beat - timedelta(minutes=5), 200)  # before: not in the outage
    # a server beside it (its process named, as every record since revision 0011 names it)
    answered(engine, beat + timedelta(minutes=1), 503, server="beside")
    answered(engine, beat + timedelta(minutes=2), 503, server="beside")
    back = beat + timedelta(minutes=10)
    answered(engine, back, 200, server="beside")
    answered(engine, back + timedelta(minutes=1), 503, server="beside")  # after it ended
    new = _registered(engine, "gw-9", 5151, now - timedelta(minutes=20), now)
    restart = deployment_facts("m", ENGINE, 30, None, now - timedelta(minutes=20))
    record_deployment(engine, restart, new)
    record = read_record(engine, ControllerFacts(), now)
    lines = render_record(record).splitlines()
    listed = [line for line in lines if line.startswith("- `") and "gpu-1:8000` weiter" in line]
    assert len(listed) == 1 and listed[0].endswith(": läuft")
    under = lines[lines.index(listed[0]) + 1]
    assert under.startswith("  - Neustart desselben Servers (gleicher Host")
    assert f"am {started:{STAMP}} gestartete lief bis zu seinem letzten Lebenszeichen am " in under
    assert f"Lebenszeichen am {beat:{STAMP}} und wurde nicht ordnungsgemäß beendet" in under
    assert f"Ausfall ab {beat:{STAMP}}: endete am {back:{STAMP}}" in under
    assert "2 Anfragen an `m` in dieser Zeit mit 503 beantwortet, die das Protokoll" in under
    servers = {s["key"]: s for s in as_json(record)["servers"]}
    assert servers[old]["state"] == "restarted" and servers[old]["restarted_as"] == new
    assert servers[old]["outage"]["answered_503"] == 2
    assert servers[new]["state"] == "running" and servers[new]["outage"] is None
    assert [s.key for s in record.counted] == [new]


def test_a_restart_ends_the_outage_nobody_asked_in(store_url: str) -> None:
    """Killed, started again, and no request answered since: the outage ended with the restart
    (the record does not call it open under a server that runs), and a 503 of the restarted
    server is its own, not counted in the killed run's outage."""
    engine = open_store(store_url)
    now = utcnow().replace(microsecond=0)
    beat, again = now - timedelta(minutes=30), now - timedelta(minutes=20)
    old = _registered(engine, "gw-9", 4242, now - timedelta(hours=2), beat)
    record_deployment(engine, deployment_facts("m", ENGINE, 30, None, beat), old)
    reclaim(engine, now)
    answered(engine, beat + timedelta(minutes=1), 503)  # while it was down
    answered(engine, again + timedelta(minutes=1), 503)  # the restarted server's queue full
    new = _registered(engine, "gw-9", 5151, again, now)
    record_deployment(engine, deployment_facts("m", ENGINE, 30, None, again), new)
    record = read_record(engine, ControllerFacts(), now)
    lines = render_record(record).splitlines()
    under = next(line for line in lines if line.startswith("  - Neustart desselben Servers"))
    assert f"Ausfall ab {beat:{STAMP}}: bis zum Neustart am {again:{STAMP}}; 1 Anfrage an" in under
    assert "1 Anfrage an `m` in dieser Zeit mit 503 beantwortet" in under
    english = render_record(record, "en")
    assert f"until the restart on {again:{STAMP}}; 1 request for `m` answered 503" in english
    servers = {s["key"]: s for s in as_json(record)["servers"]}
    assert servers[old]["outage"]["answered_503"] == 1


def test_a_silent_server_says_its_outage_so_far(store_url: str) -> None:
    engine = open_store(store_url)
    now = utcnow().replace(microsecond=0)
    beat = now - timedelta(minutes=30)
    key = _registered(engine, "gw-9", 4242, now - timedelta(hours=1), beat)
    record_deployment(engine, deployment_facts("m", ENGINE, 30, None, beat), key)
    answered(engine, beat + timedelta(minutes=1), 503)
    said = render_record(read_record(engine, ControllerFacts(), now), "en")
    line = next(line for line in said.splitlines() if "to `http://gpu-1:8000`;" in line)
    assert (
        f"outage from {beat:{STAMP}}: no request for `m` answered successfully since; "
        "1 request for `m` answered 503 in it that the audit log holds"
    ) in line


def test_a_model_name_with_a_comma_stays_whole(store_url: str) -> None:
    engine = open_store(store_url)
    now = utcnow()
    record_deployment(engine, deployment_facts("Modell, klein", None, 30, None, now), "a")
    later = now + timedelta(minutes=1)
    record_deployment(engine, deployment_facts("m2", None, 30, None, later), "b")
    record = read_record(engine, ControllerFacts(), later)
    assert "Betrieb der Sprachmodelle `m2`, `Modell, klein` mit" in render_record(record)
    assert as_json(record)["deployment"]["model"] == ["m2", "Modell, klein"]


def _serving_on(port: str, *args: str) -> subprocess.Popen:
    """`gemeingut serve ARGS --port PORT` (the port a killed server listened on: a restart
    as an operator does it), once its /health answers."""
    command = [sys.executable, "-m", "gemeingut.cli", "serve", *args, "--port", port]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    server.kill()
    server.wait()
    raise RuntimeError("gemeingut serve did not start again on its port")


def test_a_real_server_killed_and_started_again_is_one_deployment(
    model_dir: Path, tmp_path: Path
) -> None:
    """`gemeingut serve` killed with SIGKILL and started again with the same options: the
    restart frees the killed process's registration and keeps its last heartbeat; the record
    lists the deployment once, the killed run ended at that heartbeat."""
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    server, url = start_serving(str(model_dir), MODEL_NAME, "--db", str(db))
    port = url.rsplit(":", 1)[1]
    try:
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
    with engine.connect() as conn:
        [killed] = conn.execute(select(server_processes)).mappings().all()
    server = _serving_on(port, str(model_dir), "--model-name", MODEL_NAME, "--db", str(db))
    try:
        record = read_record(engine, ControllerFacts(), utcnow())
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    old = process_key(killed["machine"], killed["pid"])
    states = {s.key: (s.state, s.last_beat) for s in record.servers}
    assert states[old] == ("restarted", killed["beat_at"].replace(microsecond=0))
    assert [s.state for s in record.counted] == ["running"]
    assert {s.facts["port"] for s in record.servers} == {port}  # the port it listened on
    said = render_record(record)
    listed = [
        line for line in said.splitlines() if line.startswith("- `") and "gestartet am" in line
    ]
    assert len(listed) == 1 and "  - Neustart desselben Servers" in said


def test_a_start_stored_to_the_minute_replaces_a_stop_in_that_minute(store_url: str) -> None:
    """A server of an earlier version on the same database stores its start to the minute:
    started in the minute of a clean stop (here 40 s into it, after the stop), it replaces the
    stopped server; compared to the second, its `HH:MM` read as `HH:MM:00` came before."""
    engine = open_store(store_url)
    now = utcnow().replace(second=40, microsecond=0)
    record_deployment(engine, deployment_facts("m", ENGINE, 30, None, now), "new")
    with writing(engine) as conn:  # its stop, then the earlier version's start
        write_long_setting(conn, "server.new.", "stopped", f"{now:{STAMP}}")
        for name, value in deployment_facts("m", None, 30, None, now).items():
            if value and name != "audit_retention_days":
                write_long_setting(conn, "server.old.", name, value)
        write_long_setting(conn, "server.old.", "started", f"{now:{MINUTE_STAMP}}")
    states = {s.key: s.state for s in read_record(engine, ControllerFacts(), now).servers}
    assert states == {"new": "replaced", "old": "silent"}


def test_the_guide_gives_the_periods_the_record_applies() -> None:
    """The operating guide's record part names the keeping period and the heartbeat grace the
    code applies (`KEEP_DAYS`, `leases.STOPPED_AFTER`), not numbers of its own."""
    guide = " ".join(GUIDE.read_text(encoding="utf-8").split())
    part = guide[guide.index("A server counts while it runs") :]
    part = part[: part.index("described as it was")]
    assert f"counts for {KEEP_DAYS} days after its last heartbeat" in part
    assert f"running until {int(STOPPED_AFTER.total_seconds())} s after" in part
