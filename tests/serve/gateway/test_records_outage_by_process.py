"""A killed server's outage in the record of processing activities, told apart by the process
that wrote each audit record (`server`, revision 0011): it starts at the server's last sign of
life (a server killed mid-load answers after its last heartbeat, until the kill), its own
answers never end it, and a restart ends it whether anyone asked or not."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, func, select

from gemeingut.serve.gateway.audit_log import AuditLog, export
from gemeingut.serve.gateway.identity import add_user, create_key, utcnow
from gemeingut.serve.gateway.leases import STOPPED_AFTER, reclaim
from gemeingut.serve.gateway.records import (
    ControllerFacts,
    as_json,
    deployment_facts,
    read_record,
    record_deployment,
)
from gemeingut.serve.gateway.records_servers import STAMP, process_key, this_process
from gemeingut.serve.gateway.records_text import render_record
from gemeingut.serve.gateway.store import MIGRATIONS, database_url, open_store
from gemeingut.serve.gateway.tables import audit_log, server_processes
from tests.http_server import start_serving, stop_serving
from tests.serve.conftest import MODEL_NAME
from tests.serve.gateway.audit_rows import answered
from tests.serve.gateway.test_records_crashed_servers import ENGINE, _registered, _serving_on


def _outage_line(engine: Engine, now: datetime, language: str = "de") -> str:
    said = render_record(read_record(engine, ControllerFacts(), now), language)
    return next(line for line in said.splitlines() if "Ausfall ab" in line or "outage" in line)


def test_a_killed_servers_own_answers_after_its_heartbeat_do_not_end_its_outage(
    store_url: str,
) -> None:
    """Killed 8 s after its last heartbeat, answering until then: the outage starts at its
    last answer and ends at the first request another process answered; a 503 of its own
    (its queue full before the kill) is no 503 of the outage."""
    engine = open_store(store_url)  # SQLite and PostgreSQL
    now = utcnow().replace(microsecond=0)
    beat = now - timedelta(minutes=30)
    key = _registered(engine, "gw-9", 4242, now - timedelta(hours=1), beat)
    record_deployment(engine, deployment_facts("m", ENGINE, 30, None, beat), key)
    reclaim(engine, now)
    answered(engine, beat + timedelta(seconds=5), 200, server=key)
    answered(engine, beat + timedelta(seconds=6), 503, server=key)
    last = beat + timedelta(seconds=8)
    answered(engine, last, 200, server=key)  # its last sign of life
    answered(engine, beat + timedelta(seconds=20), 503, server="other")
    back = beat + timedelta(seconds=40)
    answered(engine, back, 200, server="other")
    line = _outage_line(engine, now)
    assert f"Ausfall ab {last:{STAMP}}: endete am {back:{STAMP}} (die erste danach" in line
    # the server's own line names the same last sign of life as its outage; the heartbeat
    # rule (45 s after the last heartbeat) says until when it was taken as running
    ran = f"letztes Lebenszeichen am {last:{STAMP}}, gilt als laufend bis "
    assert f"{ran}{beat + STOPPED_AFTER:{STAMP}}" in line
    assert "; 1 Anfrage an `m` in dieser Zeit mit 503 beantwortet" in line
    [server] = as_json(read_record(engine, ControllerFacts(), now))["servers"]
    assert server["outage"]["since"] == f"{last:%Y-%m-%dT%H:%M:%S}Z"
    assert server["outage"]["ended_by"] == "request"


def test_a_restart_before_any_answer_ends_the_outage_and_claims_nothing_of_requests(
    store_url: str,
) -> None:
    """Started again 10 minutes after the kill, its first request answered later: the
    outage ended at the restart, not at that request; a 503 of another process before the
    restart counts, the restarted server's own after it does not."""
    engine = open_store(store_url)
    now = utcnow().replace(microsecond=0)
    beat, again = now - timedelta(minutes=30), now - timedelta(minutes=20)
    old = _registered(engine, "gw-9", 4242, now - timedelta(hours=2), beat)
    record_deployment(engine, deployment_facts("m", ENGINE, 30, None, beat), old)
    reclaim(engine, now)
    answered(engine, beat + timedelta(minutes=1), 503, server="beside")
    new = _registered(engine, "gw-9", 5151, again, now)
    record_deployment(engine, deployment_facts("m", ENGINE, 30, None, again), new)
    answered(engine, again + timedelta(seconds=28), 200, server=new)
    answered(engine, again + timedelta(seconds=30), 503, server=new)
    line = _outage_line(engine, now)
    assert f"Ausfall ab {beat:{STAMP}}: bis zum Neustart am {again:{STAMP}}; 1 Anfrage an" in line
    assert "endete am" not in line and "seitdem" not in line
    english = _outage_line(engine, now, "en")
    assert f"outage from {beat:{STAMP}}: until the restart on {again:{STAMP}}; 1 request" in english
    servers = {s["key"]: s for s in as_json(read_record(engine, ControllerFacts(), now))["servers"]}
    assert servers[old]["outage"]["ended"] == f"{again:%Y-%m-%dT%H:%M:%S}Z"
    assert servers[old]["outage"]["ended_by"] == "restart"


def test_records_from_before_revision_0011_keep_the_rule_before(store_url: str) -> None:
    """A database at revision 0010 is upgraded (and goes back down) with its records; one of
    them names no process, so an answer after the heartbeat ends the outage as before."""
    now = utcnow().replace(microsecond=0)
    beat = now - timedelta(minutes=30)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    older = create_engine(database_url(store_url))
    columns = [sa.column(name) for name in ("request_id", "route", "model", "status", "decision")]
    table = sa.table("audit_log", sa.column("at", sa.DateTime), *columns)
    with older.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0010")
        conn.execute(
            table.insert().values(
                at=beat + timedelta(seconds=5),
                request_id="r-old",
                route="/v1/chat/completions",
                model="m",
                status=200,
                decision="allowed",
            )
        )
    older.dispose()
    engine = open_store(store_url)  # upgraded to the newest revision
    with engine.connect() as conn:
        assert conn.execute(select(audit_log.c.server)).scalar_one() is None
    key = _registered(engine, "gw-9", 4242, now - timedelta(hours=1), beat)
    record_deployment(engine, deployment_facts("m", ENGINE, 30, None, beat), key)
    reclaim(engine, now)
    back = beat + timedelta(seconds=5)
    assert f"Ausfall ab {beat:{STAMP}}: endete am {back:{STAMP}}" in _outage_line(engine, now)
    # started again (a new version): the unnamed answer may be the killed server's own, so
    # the restart ends the outage, not it (a tester saw an outage „ended“ before the kill)
    again = beat + timedelta(minutes=2)
    new = _registered(engine, "gw-9", 5151, again, now)
    record_deployment(engine, deployment_facts("m", ENGINE, 30, None, again), new)
    assert f"Ausfall ab {beat:{STAMP}}: bis zum Neustart am {again:{STAMP}}" in _outage_line(
        engine, now
    )
    engine.dispose()
    with create_engine(database_url(store_url)).begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0010")
        assert conn.execute(sa.text("SELECT request_id FROM audit_log")).scalar_one() == "r-old"


def test_each_record_names_its_process_which_the_record_explains_and_an_export_leaves_out(
    store_url: str,
) -> None:
    engine = open_store(store_url)
    now = utcnow()
    AuditLog(engine).write(
        at=now, request_id="r1", route="/v1/chat/completions", status=200, decision="allowed"
    )
    with engine.connect() as conn:
        assert conn.execute(select(audit_log.c.server)).scalar_one() == this_process()
    [exported] = export(engine)
    assert "server" not in exported and exported["request_id"] == "r1"
    record = read_record(engine, ControllerFacts(), now)
    assert "server" in record.audit_columns
    said = render_record(record)
    assert "- `server` ist die Kennung des Serverprozesses, der den Eintrag schrieb" in said


def _ask(url: str, key: str, stop: threading.Event) -> None:
    """Keep asking, as a client loop does: through the kill (refused connections) and after
    the restart on the same port."""
    with httpx.Client(headers={"authorization": f"Bearer {key}"}, timeout=30) as http:
        while not stop.is_set():
            try:
                http.post(
                    f"{url}/v1/chat/completions",
                    json={
                        "model": MODEL_NAME,
                        "messages": [{"role": "user", "content": "Hallo"}],
                        "max_tokens": 4,
                    },
                )
            except httpx.HTTPError:
                time.sleep(0.05)  # down: asked again soon


def _logged(engine: Engine, *where: sa.ColumnElement[bool]) -> datetime | None:
    """The newest answered request's time among those `where` says."""
    with engine.connect() as conn:
        latest = select(func.max(audit_log.c.at)).where(audit_log.c.status == 200, *where)
        return conn.execute(latest).scalar_one()


def _waited(found: Callable[[], object], what: str) -> None:
    for _ in range(600):
        if found():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within 60 s: {what}")


def test_a_real_server_killed_mid_load_and_started_again(model_dir: Path, tmp_path: Path) -> None:
    """`gemeingut serve` answering a client loop, killed with SIGKILL after it answered
    past its last heartbeat, and started again on its port while the loop goes on: the
    outage starts at its last answer (not its heartbeat), and ends at the restart, not at a
    request the dying server answered itself nor at the first one after the restart."""
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    add_user(engine, "anna")
    _, secret = create_key(engine, "anna")
    server, url = start_serving(str(model_dir), MODEL_NAME, "--db", str(db))
    port = url.rsplit(":", 1)[1]
    stop = threading.Event()
    client = threading.Thread(target=_ask, args=(url, secret, stop))
    restarted = None
    try:
        client.start()
        with engine.connect() as conn:
            [process] = conn.execute(select(server_processes)).mappings().all()
        key = process_key(process["machine"], process["pid"])
        past_beat = lambda: (_logged(engine) or datetime.min) > _beat(engine)  # noqa: E731
        _waited(past_beat, "an answer after the server's last heartbeat")
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        beat = _beat(engine)
        last = _logged(engine, audit_log.c.server == key)
        assert last is not None and last > beat
        restarted = _serving_on(port, str(model_dir), "--model-name", MODEL_NAME, "--db", str(db))
        _waited(lambda: _logged(engine, audit_log.c.server != key), "an answer after the restart")
    finally:
        stop.set()
        client.join(timeout=60)
        if server.poll() is None:
            server.kill()
        if restarted is not None:
            stop_serving(restarted)
    record = read_record(engine, ControllerFacts(), utcnow())
    [killed] = [s for s in record.servers if s.key == key]
    [again] = [s for s in record.servers if s.key == killed.restarted_as]
    said = render_record(record)
    under = next(line for line in said.splitlines() if line.startswith("  - Neustart"))
    assert "endete am" not in under  # neither by its own answers nor after the restart
    assert f"Ausfall ab {last:{STAMP}}: bis zum Neustart am {again.facts['started']};" in under
    assert f"letzten Lebenszeichen am {last:{STAMP}} und" in under


def _beat(engine: Engine) -> datetime:
    """The last heartbeat of the one server process registered, or kept by its restart."""
    with engine.connect() as conn:
        return conn.execute(select(func.max(server_processes.c.beat_at))).scalar_one()
