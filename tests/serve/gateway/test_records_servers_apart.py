"""Servers of one database told apart in the record: an outage ends with a request for the
model that server served, not another's; a server beside it on another port is not its
restart (a start stored without its port, by an earlier version, still is); the 503s counted
are those the audit log holds, and the sentence says which it cannot hold; the JSON's times
are ISO 8601 and a restarted run has no `counted_until`; several models are named in the
plural; the English record holds no German sentence."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, insert
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.leases import reclaim
from gemeingut.serve.gateway.long_settings import write_long_setting
from gemeingut.serve.gateway.records import (
    ControllerFacts,
    as_json,
    deployment_facts,
    read_record,
    record_deployment,
)
from gemeingut.serve.gateway.records_servers import STAMP, process_key
from gemeingut.serve.gateway.records_text import TEXT, render_record
from gemeingut.serve.gateway.store import open_store, writing
from gemeingut.serve.gateway.tables import server_processes
from tests.serve.gateway.audit_rows import answered

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _registered(engine: Engine, pid: int, started: datetime, beat: datetime) -> str:
    with writing(engine) as conn:
        conn.execute(
            insert(server_processes).values(
                id=f"p{pid}", machine="gw-9", pid=pid, started_at=started, beat_at=beat
            )
        )
    return process_key("gw-9", pid)


def _two_servers(engine: Engine, now: datetime, second_port: int | None) -> tuple[str, str]:
    """Server A (`tiny`, port 8001) killed 30 minutes ago; server B with the same settings
    (`second_port`) or model `tiny-b` started before A's last heartbeat or after it."""
    beat = now - timedelta(minutes=30)
    a = _registered(engine, 4242, now - timedelta(hours=2), beat)
    record_deployment(
        engine, deployment_facts("tiny", None, 30, None, now - timedelta(hours=2), port=8001), a
    )
    reclaim(engine, now)
    b = _registered(engine, 5151, beat + timedelta(minutes=1), now)
    started = beat + timedelta(minutes=1)
    model = "tiny" if second_port else "tiny-b"
    facts = deployment_facts(model, None, 30, None, started, port=second_port or 8002)
    record_deployment(engine, facts, b)
    return a, b


def test_an_outage_ends_with_a_request_for_the_model_that_server_served(store_url: str) -> None:
    """A's outage does not end with B's `tiny-b` requests nor with a 404 for `tiny` (served
    nowhere), but with the first `tiny` request answered; only `tiny`'s 503s are counted."""
    engine = open_store(store_url)  # SQLite and PostgreSQL
    now = utcnow().replace(microsecond=0)
    a, _ = _two_servers(engine, now, None)
    beat = now - timedelta(minutes=30)
    answered(engine, beat + timedelta(minutes=2), 200, "tiny-b", "allowed")
    answered(engine, beat + timedelta(minutes=3), 503, "tiny-b", "queue_full")
    answered(engine, beat + timedelta(minutes=4), 404, "tiny", "model_not_found")
    answered(engine, beat + timedelta(minutes=5), 503, "tiny", "queue_full")
    back = beat + timedelta(minutes=8)
    answered(engine, back, 200, "tiny", "allowed")
    record = read_record(engine, ControllerFacts(), now)
    outage = next(s.outage for s in record.servers if s.key == a)
    assert outage is not None and (outage.ended, outage.refused) == (back, 1)
    line = next(line for line in render_record(record).splitlines() if "Ausfall ab" in line)
    assert f"endete am {back:{STAMP}} (die erste danach erfolgreich beantwortete " in line
    assert "Anfrage an `tiny`)" in line
    assert "1 Anfrage an `tiny` in dieser Zeit mit 503 beantwortet, die das Protokoll" in line
    assert "Ablehnungen an der Verbindungsgrenze (`too_many_connections`)" in line


@pytest.mark.parametrize(("port", "first"), [(8002, "silent"), (8001, "restarted")])
def test_a_server_on_another_port_is_beside_it_on_its_own_port_its_restart(
    store_url: str, port: int, first: str
) -> None:
    engine = open_store(store_url)
    now = utcnow().replace(microsecond=0)
    a, b = _two_servers(engine, now, port)
    states = {s.key: s.state for s in read_record(engine, ControllerFacts(), now).servers}
    assert states == {a: first, b: "running"}
    said = render_record(read_record(engine, ControllerFacts(), now))
    assert ("Neustart desselben Servers" in said) == (first == "restarted")
    if first == "silent":  # two servers, each named by its port
        assert ":8001`, Modell `tiny`" in said and ":8002`, Modell" in said


def test_a_start_stored_without_its_port_is_compared_as_before(store_url: str) -> None:
    """An earlier version stored no port: its server, started again by this version (which
    stores one), is still recognised as restarted."""
    engine = open_store(store_url)
    now = utcnow().replace(microsecond=0)
    a, b = _two_servers(engine, now, 8003)
    with writing(engine) as conn:
        write_long_setting(conn, f"server.{a}.", "port", "")
    states = {s.key: s.state for s in read_record(engine, ControllerFacts(), now).servers}
    assert states == {a: "restarted", b: "running"}


def test_the_json_has_one_time_format_and_no_count_for_a_restarted_run(store_url: str) -> None:
    engine = open_store(store_url)
    now = utcnow().replace(microsecond=0)
    a, _ = _two_servers(engine, now, 8001)
    said = as_json(read_record(engine, ControllerFacts(), now))
    servers = {s["key"]: s for s in said["servers"]}
    assert servers[a]["state"] == "restarted" and servers[a]["counted_until"] is None
    times = [said["deployment"]["started"], servers[a]["last_heartbeat"]]
    times += [s["started"] for s in servers.values()] + [servers[a]["outage"]["since"]]
    assert all(ISO.match(when) for when in times), times


def test_several_models_are_named_in_the_plural(store_url: str) -> None:
    engine = open_store(store_url)
    now = utcnow().replace(microsecond=0)
    record_deployment(engine, deployment_facts("tiny", None, 30, None, now, port=8001), "a")
    record = read_record(engine, ControllerFacts(), now)
    assert "Betrieb des Sprachmodells `tiny` mit" in render_record(record)
    later = now + timedelta(minutes=1)
    record_deployment(engine, deployment_facts("tiny-b", None, 30, None, later, port=8002), "b")
    record = read_record(engine, ControllerFacts(), later)
    assert "Betrieb der Sprachmodelle `tiny-b`, `tiny` mit" in render_record(record)
    assert "running the language models `tiny-b`, `tiny` with" in render_record(record, "en")


def test_the_english_record_holds_no_german_sentence(store_url: str) -> None:
    """Every line of the English record with its optional parts (an outage, a restart, the
    `x_request_id` column), as `gemeingut --lang en admin audit records` writes it: none
    begins as a German text of the record does."""
    engine = open_store(store_url)
    now = utcnow().replace(microsecond=0)
    _two_servers(engine, now, 8001)
    answered(engine, now - timedelta(minutes=29), 503, "tiny", "queue_full")
    record = read_record(engine, ControllerFacts(), now)
    assert "x_request_id" in record.audit_columns
    result = CliRunner().invoke(
        app, ["--lang", "en", "admin", "audit", "records", "--db", store_url]
    )
    said = result.stdout
    assert said.startswith("# Record of processing activities"), result.output
    german = {words[:24] for words in (re.split(r"\{", v)[0] for v in TEXT["de"].values())}
    german = {words for words in german if len(words) >= 12}
    lines = [line for line in said.splitlines() if any(words in line for words in german)]
    assert lines == []
    assert not re.search(r"[äöüÄÖÜß]| ist | die | der | und ", said)
    assert "- `x_request_id` is the id of the HTTP request" in said
