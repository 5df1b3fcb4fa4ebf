"""The record of processing activities describes every server of the database, not the last
one started: with in-process servers and gateways relaying to an engine on one database, a
restarted in-process server does not make section d) say that prompts go nowhere else."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.records import (
    ControllerFacts,
    as_json,
    deployment_facts,
    read_record,
    record_deployment,
)
from gemeingut.serve.gateway.records_servers import process_key, record_stop
from gemeingut.serve.gateway.records_text import render_record
from gemeingut.serve.gateway.store import open_store, writing
from gemeingut.serve.gateway.tables import server_processes

ENGINE = "http://gpu-1:8000"
RELAYED = "Anfragen und Antworten gehen an die Inferenz-Maschine `http://gpu-1:8000`."
NOWHERE = "Das Modell läuft im Prozess des Servers: Anfragen und Antworten gehen an keine"


def test_a_restarted_server_leaves_the_gateways_engine_in_the_record(store_url: str) -> None:
    engine = open_store(store_url)  # SQLite and PostgreSQL
    now = utcnow()
    long_ago = now - timedelta(days=40)
    running = process_key("gw-2", 4242)  # a gateway that started long ago and runs now
    with writing(engine) as conn:
        conn.execute(
            server_processes.insert().values(
                id="p", machine="gw-2", pid=4242, started_at=long_ago, beat_at=now
            )
        )
    record_deployment(engine, deployment_facts("m", ENGINE, 30, None, long_ago), running)
    record_deployment(engine, deployment_facts("m", ENGINE, 30, None, now), "gw1")
    record_deployment(engine, deployment_facts("m", None, 30, None, now), "local1")
    record_deployment(engine, deployment_facts("m", None, 30, None, now), "local2")
    record_stop(engine, "local1")  # restarted: stopped cleanly, then started again
    # its start after the stop, which is stamped now (to the second: `now` may be a second ago)
    record_deployment(engine, deployment_facts("m", None, 30, None, utcnow()), "local1b")
    document = render_record(read_record(engine, ControllerFacts(), now))
    assert RELAYED in document
    assert NOWHERE not in document
    assert "Die übrigen Server führen das Modell im eigenen Prozess aus" in document
    assert "ordnungsgemäß beendet, seitdem startete ein anderer; zählt nicht mehr mit" in document
    states = [s["state"] for s in as_json(read_record(engine, ControllerFacts(), now))["servers"]]
    assert sorted(states) == ["replaced", "running", "silent", "silent", "silent"]


def test_only_stale_or_replaced_servers_leave_the_record(tmp_path: Path) -> None:
    """A gateway stopped cleanly counts until a server starts after it (a maintenance stop
    leaves the record as it was); one silent past the keeping period counts no longer."""
    engine = open_store(str(tmp_path / "gateway.db"))
    now = utcnow()
    record_deployment(engine, deployment_facts("m", ENGINE, 30, None, now), "gw1")
    record_stop(engine, "gw1")
    assert RELAYED in render_record(read_record(engine, ControllerFacts(), now))
    record_deployment(engine, deployment_facts("m", None, 30, None, now), "local")
    assert RELAYED not in render_record(read_record(engine, ControllerFacts(), now))
    record_deployment(engine, deployment_facts("m", ENGINE, 30, None, now), "gw2")  # crashes
    assert RELAYED in render_record(read_record(engine, ControllerFacts(), now))
    stale = read_record(engine, ControllerFacts(), now + timedelta(days=31))
    assert stale.servers == [] and "deployment" in stale.missing


def test_a_server_taken_for_stopped_records_itself_again(tmp_path: Path) -> None:
    """A gateway that started long ago and lost the database for a while looks silent: another
    start deletes its entry as past the keeping period. Its heartbeat, registering it again,
    records its settings again: a server that runs stays in the record."""
    from gemeingut.serve.gateway.leases import Leases
    from gemeingut.serve.gateway.records import record_again

    engine = open_store(str(tmp_path / "gateway.db"))
    long_ago = utcnow() - timedelta(days=40)
    facts = deployment_facts("m", ENGINE, 30, None, long_ago)
    leases = Leases(engine)
    leases.registered_again = partial(record_again, facts)
    record_deployment(engine, facts)
    with writing(engine) as conn:  # the others took it for stopped
        conn.execute(server_processes.delete())
    record_deployment(engine, deployment_facts("m", None, 30, None, utcnow()), "local")
    assert RELAYED not in render_record(read_record(engine, ControllerFacts(), utcnow()))
    leases.beat()  # its database answers again
    document = render_record(read_record(engine, ControllerFacts(), utcnow()))
    assert RELAYED in document and "gestartet am" in document


def test_each_servers_identity_provider_is_in_the_record(tmp_path: Path) -> None:
    """People sign in to two servers through two identity providers: the record names each
    with the claims read from it, not the newest's alone, nor one's issuer with the other's
    claims."""
    from gemeingut.serve.oidc import OidcSettings

    engine = open_store(str(tmp_path / "gateway.db"))
    now = utcnow()
    staff = OidcSettings(
        "https://sso.amt.example/staff", "page", "preferred_username", groups_claim="groups"
    )
    guests = OidcSettings("https://id.land.example/guests", "page", "email")
    record_deployment(engine, deployment_facts("m", None, 30, None, now, sign_in=staff), "a")
    later = now + timedelta(minutes=1)
    record_deployment(engine, deployment_facts("m", None, 30, None, later, sign_in=guests), "b")
    lines = render_record(read_record(engine, ControllerFacts(), now)).splitlines()
    staff_line = next(line for line in lines if "https://sso.amt.example/staff" in line)
    guests_line = next(line for line in lines if "https://id.land.example/guests" in line)
    assert "`preferred_username`" in staff_line and "`groups`" in staff_line
    assert "`email`" in guests_line and "`groups`" not in guests_line


def test_a_folder_is_said_with_its_own_servers_upload_limit(tmp_path: Path) -> None:
    """An older server lets people upload to its collections, the newest serves others without
    uploads: the record names the newest's folder without the older one's upload limit."""
    from gemeingut.serve.gateway.records import Stored, united
    from gemeingut.serve.gateway.records_servers import read_servers

    engine = open_store(str(tmp_path / "gateway.db"))
    now = utcnow()
    uploads = Stored(tmp_path / "amt", 10 * 2**20)
    record_deployment(engine, deployment_facts("m", None, 30, None, now, stores=uploads), "a")
    later = now + timedelta(minutes=1)
    quiet = Stored(tmp_path / "archiv")
    record_deployment(engine, deployment_facts("m", None, 30, None, later, stores=quiet), "b")
    setup = united(read_servers(engine, now))
    assert setup["collections"] == str((tmp_path / "archiv").resolve())
    assert "upload_max_mb" not in setup
