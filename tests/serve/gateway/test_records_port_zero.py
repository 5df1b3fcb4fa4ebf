"""A server started with `--port 0` binds another port at each start: the record knows its
restart by the port asked for, stored beside the one bound; two such servers beside each other
stay two, and a start takes the place of one silent server at most."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine, select

from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.leases import reclaim, this_machine
from gemeingut.serve.gateway.records import (
    ControllerFacts,
    deployment_facts,
    read_record,
    record_deployment,
)
from gemeingut.serve.gateway.records_servers import PORT_ASKED, process_key, read_servers, when
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import server_processes
from tests.http_server import stop_serving
from tests.serve.conftest import MODEL_NAME
from tests.serve.gateway.test_records_crashed_servers import ENGINE, _registered

WAIT = 600  # tries of 0.2 s: a start on a busy machine, a heartbeat


def _serving_any_port(engine: Engine, *args: str) -> tuple[subprocess.Popen, str]:
    """`gemeingut serve ARGS --port 0` and the port it bound (from its record), once its
    /health answers there."""
    command = [sys.executable, "-m", "gemeingut.cli", "serve", *args, "--port", "0"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    key = process_key(this_machine(), server.pid)
    for _ in range(WAIT):
        found = [s for s in read_servers(engine, utcnow()) if s.key == key]
        if found and "port" in found[0].facts:
            port = found[0].facts["port"]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    return server, port
            except httpx.HTTPError:
                pass
        if server.poll() is not None:
            break
        time.sleep(0.2)
    server.kill()
    server.wait()
    raise RuntimeError("gemeingut serve --port 0 did not start")


def _beats_after(engine: Engine, pid: int, key: str) -> None:
    """Wait until the process `pid` has beaten after the start recorded under `key`: it ran
    beside that server, which is then no restart of it."""
    started = next(s for s in read_servers(engine, utcnow()) if s.key == key).facts["started"]
    for _ in range(WAIT):
        with engine.connect() as conn:
            beat = conn.execute(
                select(server_processes.c.beat_at).where(server_processes.c.pid == pid)
            ).scalar_one()
        if beat.replace(microsecond=0) > when(started):
            return
        time.sleep(0.2)
    raise RuntimeError("the server's heartbeat did not come")


def test_a_port_zero_server_killed_and_started_again_is_one_deployment(
    model_dir: Path, tmp_path: Path
) -> None:
    """Two `gemeingut serve --port 0` beside each other, one killed with SIGKILL: the other is
    not its restart; started again (on another port), it is, and the other still runs."""
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    args = (str(model_dir), "--model-name", MODEL_NAME, "--db", str(db))
    first, first_port = _serving_any_port(engine, *args)
    beside = restart = None
    try:
        beside, beside_port = _serving_any_port(engine, *args)
        assert beside_port != first_port
        side = process_key(this_machine(), beside.pid)
        _beats_after(engine, first.pid, side)
        killed = process_key(this_machine(), first.pid)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        states = {s.key: s.state for s in read_record(engine, ControllerFacts(), utcnow()).servers}
        assert states == {killed: "silent", side: "running"}
        restart, restart_port = _serving_any_port(engine, *args)
        record = read_record(engine, ControllerFacts(), utcnow())
    finally:
        for server in (first, beside, restart):
            if server is not None and server.poll() is None:
                stop_serving(server)
    again = process_key(this_machine(), restart.pid)
    found = {s.key: s for s in record.servers}
    assert (found[killed].state, found[killed].restarted_as) == ("restarted", again)
    assert {found[side].state, found[again].state} == {"running"}
    assert [s.facts["port"] for s in (found[killed], found[again])] == [first_port, restart_port]
    assert {s.facts[PORT_ASKED] for s in record.servers} == {"0"}


def test_one_start_takes_the_place_of_one_silent_server(store_url: str) -> None:
    """Two `--port 0` servers killed beside each other and one started again: it is the restart
    of one of them (the first to fall silent), the other stays silent and counts."""
    engine = open_store(store_url)
    now = utcnow().replace(microsecond=0)
    started, beat = now - timedelta(hours=2), now - timedelta(minutes=30)
    gone = [
        _registered(engine, "gw-9", pid, started, beat + timedelta(seconds=pid % 2))
        for pid in (4242, 4243)
    ]
    for key, port in zip(gone, (41000, 41001), strict=True):
        record_deployment(
            engine, deployment_facts("m", ENGINE, 30, None, started, port=port, port_asked=0), key
        )
    reclaim(engine, now)
    new = _registered(engine, "gw-9", 5151, now - timedelta(minutes=20), now)
    again = deployment_facts(
        "m", ENGINE, 30, None, now - timedelta(minutes=20), port=42000, port_asked=0
    )
    record_deployment(engine, again, new)
    states = {
        s.key: (s.state, s.restarted_as)
        for s in read_record(engine, ControllerFacts(), now).servers
    }
    assert states == {
        gone[0]: ("restarted", new),
        gone[1]: ("silent", None),
        new: ("running", None),
    }


def test_a_start_stored_without_the_port_asked_is_known_by_the_port_bound(
    store_url: str,
) -> None:
    """A killed server of an earlier version stored only the port it bound: a start on that
    port, which stores both, is its restart; one on another port is not."""
    engine = open_store(store_url)
    now = utcnow().replace(microsecond=0)
    beat = now - timedelta(minutes=30)
    old = _registered(engine, "gw-9", 4242, now - timedelta(hours=2), beat)
    earlier = deployment_facts("m", ENGINE, 30, None, beat - timedelta(hours=1), port=8000)
    assert PORT_ASKED not in {n for n, v in earlier.items() if v}
    record_deployment(engine, earlier, old)
    reclaim(engine, now)
    other = deployment_facts(
        "m", ENGINE, 30, None, now - timedelta(minutes=25), port=8001, port_asked=8001
    )
    record_deployment(
        engine, other, _registered(engine, "gw-9", 5050, now - timedelta(minutes=25), now)
    )
    new = _registered(engine, "gw-9", 5151, now - timedelta(minutes=20), now)
    record_deployment(
        engine,
        deployment_facts(
            "m", ENGINE, 30, None, now - timedelta(minutes=20), port=8000, port_asked=8000
        ),
        new,
    )
    found = {s.key: s for s in read_record(engine, ControllerFacts(), now).servers}
    assert (found[old].state, found[old].restarted_as) == ("restarted", new)
