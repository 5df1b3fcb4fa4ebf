"""`gemeingut admin`: destructive commands ask and leave a trace; people and groups can be
removed; exports are private files with times that say their zone."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.content_log import keep, stored_requests
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import (
    Principal,
    authenticate,
    user_pseudonym_source,
    utcnow,
)
from gemeingut.serve.gateway.quotas import reserve, set_limits, settle
from gemeingut.serve.gateway.records import record_deployment
from gemeingut.serve.gateway.store import open_store, writing
from tests.serve.gateway.people import person

runner = CliRunner()


def admin(db: Path | str, *args: str):
    return runner.invoke(app, ["admin", *args, "--db", str(db)])


def audit_rows(db: Path) -> list[dict]:
    return list(export(open_store(str(db))))


def requests(records: list[dict]) -> list[dict]:
    """The records of requests to the API, without the administrators' own (`admin:…`)."""
    return [r for r in records if not r["route"].startswith("admin:")]


def test_a_purge_needs_yes_respects_the_retention_and_is_recorded(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    gateway = Gateway(open_store(str(db)))
    for status in (200, 401):
        gateway.record("/v1/chat/completions", status, "allowed", model="demo")
    asked = admin(db, "audit", "purge", "--older-than", "0d")
    assert asked.exit_code == 2 and "--yes" in asked.output and len(audit_rows(db)) == 2
    record_deployment(gateway.engine, {"audit_retention_days": "90"})
    early = admin(db, "audit", "purge", "--older-than", "0d", "--yes")
    assert early.exit_code == 2 and "Aufbewahrungsfrist von 90 Tagen" in early.output
    assert len(audit_rows(db)) == 2
    forced = admin(db, "audit", "purge", "--older-than", "0d", "--yes", "--force")
    assert forced.exit_code == 0 and "2 Protokolleinträge gelöscht" in forced.output
    [trace] = audit_rows(db)
    assert (trace["route"], trace["decision"]) == ("admin:audit-purge", "purged:2")
    assert trace["user_pseudonym"] is None and trace["key_id"] is None


def keep_a_question(engine: Engine, pseudonym: str, principal: Principal) -> None:
    """One completion's content of `principal`, as a server keeps it."""
    sent = {"prompt": "Frage"}
    keep(engine, utcnow(), "r1", pseudonym, principal, "/v1/completions", "demo", sent, ["Antwort"])


def test_erasing_content_needs_yes_and_is_recorded_without_the_person(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "users", "add", "anna")
    engine = open_store(str(db))
    pseudonym = Gateway(engine).audit.pseudonym(user_pseudonym_source(engine, "anna"))
    anna = person(engine, "anna")
    keep_a_question(engine, pseudonym, anna)
    assert admin(db, "content", "delete", "--user", "anna").exit_code == 2
    assert stored_requests(engine) == 1
    assert admin(db, "content", "delete", "--user", "anna", "--yes").exit_code == 0
    added, trace = audit_rows(db)
    assert added["route"] == "admin:users-add"
    assert (trace["route"], trace["decision"]) == ("admin:content-delete", "erased:1")
    assert trace["user_pseudonym"] is None and stored_requests(engine) == 0


def test_a_removed_person_leaves_only_pseudonymised_audit_records(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "groups", "add", "schule")
    admin(db, "users", "add", "anna", "--group", "schule")
    admin(db, "users", "add", "ben", "--group", "schule")
    key = json.loads(admin(db, "keys", "create", "--user", "anna", "--json").stdout)
    engine = open_store(str(db))
    gateway = Gateway(engine)
    set_limits(engine, "key", key["id"], tokens_per_day=10)
    set_limits(engine, "user", "anna", tokens_per_day=10)
    anna = authenticate(engine, key["key"])
    pseudonym = gateway.audit.pseudonym(anna.pseudonym_source)
    keep_a_question(engine, pseudonym, anna)
    gateway.record("/v1/completions", 200, "allowed", principal=authenticate(engine, key["key"]))
    assert admin(db, "users", "remove", "anna").exit_code == 2  # no --yes
    removed = admin(db, "users", "remove", "anna", "--yes")
    assert removed.exit_code == 0 and "Person anna entfernt" in removed.output, removed.output
    users = json.loads(admin(db, "users", "list", "--json").stdout)
    assert [u["name"] for u in users] == ["ben"]
    assert json.loads(admin(db, "keys", "list", "--json").stdout) == []
    assert json.loads(admin(db, "quotas", "list", "--json").stdout) == []
    assert stored_requests(engine) == 0
    [request] = requests(audit_rows(db))
    trace = audit_rows(db)[-1]
    assert request["user_pseudonym"] == pseudonym and trace["route"] == "admin:users-remove"

    left = admin(db, "groups", "leave", "schule", "ben")
    assert left.exit_code == 0 and "ben ist nicht mehr in schule" in left.output
    assert json.loads(admin(db, "users", "list", "--json").stdout)[0]["groups"] == []
    assert admin(db, "groups", "leave", "schule", "ben").exit_code == 2
    admin(db, "groups", "join", "schule", "ben")
    busy = admin(db, "groups", "remove", "schule")
    assert busy.exit_code == 2 and "hat noch 1 Mitglied" in busy.output, busy.output
    assert admin(db, "groups", "remove", "schule", "--yes").exit_code == 0
    assert json.loads(admin(db, "groups", "list", "--json").stdout) == []


def test_an_art_15_export_finds_a_person_and_a_key_by_their_pseudonyms(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    for name in ("anna", "ben"):
        admin(db, "users", "add", name)
    engine = open_store(str(db))
    gateway = Gateway(engine)
    keys = {}
    for name in ("anna", "anna", "ben"):
        created = json.loads(admin(db, "keys", "create", "--user", name, "--json").stdout)
        keys.setdefault(name, []).append(created["id"])
        gateway.record(
            "/v1/completions", 200, "allowed", principal=authenticate(engine, created["key"])
        )

    def exported(*args: str) -> list[dict]:
        result = admin(db, "audit", "export", *args)
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.stdout.splitlines()]

    assert len(requests(exported("--user", "anna"))) == 2
    assert len(requests(exported("--user", "ben"))) == 1
    [one] = requests(exported("--key", keys["anna"][1]))
    assert one["key_id"].startswith("k-") and keys["anna"][1] not in json.dumps(exported())
    assert one["at"].endswith("Z")
    assert admin(db, "audit", "export", "--user", "ghost").exit_code == 2


def test_the_database_and_exports_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        db = tmp_path / "gateway.db"
        admin(db, "users", "add", "anna")
        for out in ("content.jsonl", "audit.jsonl"):
            kind = out.split(".")[0]
            args = ("--user", "anna") if kind == "content" else ()
            result = admin(db, kind, "export", *args, "--out", str(tmp_path / out))
            assert result.exit_code == 0, result.output
    finally:
        os.umask(old)
    for file in (db, tmp_path / f"{db.name}-wal", tmp_path / "content.jsonl"):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert stat.S_IMODE((tmp_path / "audit.jsonl").stat().st_mode) == 0o600


def test_times_say_their_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        db = tmp_path / "gateway.db"
        admin(db, "users", "add", "anna")
        created = admin(db, "keys", "create", "--user", "anna", "--expires", "2027-01-31T18:00")
        assert created.exit_code == 0, created.output
        assert "31.01.2027, 18:00 Uhr (MEZ)" in admin(db, "keys", "list").stdout
        [row] = json.loads(admin(db, "keys", "list", "--json").stdout)
        assert row["expires_at"] == "2027-01-31T17:00:00Z"
        never = admin(db, "keys", "create", "--user", "anna", "--json")
        assert json.loads(never.stdout)["expires_at"] is None
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_rotated_key_keeps_its_settings_and_the_old_one_stops(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "users", "add", "anna")
    old = json.loads(
        admin(
            db,
            "keys",
            "create",
            "--user",
            "anna",
            "--name",
            "laptop",
            "--model",
            "demo",
            "--expires",
            "30d",
            "--json",
        ).stdout
    )
    admin(db, "quotas", "set", "--key", old["id"], "--tokens-per-day", "500")
    engine = open_store(str(db))
    reservation = reserve(engine, authenticate(engine, old["key"]), 400, False, utcnow())
    with writing(engine) as conn:  # the old key used 400 of its 500 tokens today
        settle(conn, reservation, 400)
    rotated = admin(db, "keys", "rotate", old["id"], "--json")
    assert rotated.exit_code == 0, rotated.output
    new = json.loads(rotated.stdout)
    principal = authenticate(engine, new["key"])
    assert (principal.user, principal.models) == ("anna", ("demo",))
    keys = {k["id"]: k for k in json.loads(admin(db, "keys", "list", "--json").stdout)}
    assert keys[new["id"]]["name"] == "laptop" and keys[old["id"]]["revoked_at"]
    assert keys[new["id"]]["expires_at"] == keys[old["id"]]["expires_at"]
    limits = json.loads(admin(db, "quotas", "list", "--json").stdout)
    assert {(r["subject"], r["tokens_per_day"]) for r in limits} >= {(new["id"], 500)}
    today = {r["subject"]: r["tokens_today"] for r in limits}
    assert today[new["id"]] == 400  # rotating grants no second day of tokens
    assert admin(db, "keys", "rotate", old["id"]).exit_code == 2  # revoked already


def test_json_keeps_lists_and_nulls(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "groups", "add", "schule")
    admin(db, "users", "add", "anna", "--group", "schule")
    [row] = json.loads(admin(db, "users", "list", "--json").stdout)
    assert row["groups"] == ["schule"] and row["created_at"].endswith("Z")


def test_small_mistakes_are_said(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "users", "add", "anna@amt.de")
    for args, message in (
        (("keys", "list", "--user", "ghost"), "keine Person „ghost“"),
        (("users", "add", "ANNA@amt.de"), "nur in Groß- und Kleinschreibung"),
        (
            (
                "quotas",
                "set",
                "--user",
                "anna@amt.de",
                "--tokens-per-day",
                "5",
                "--lift",
                "tokens_per_day",
            ),
            "zugleich gesetzt und aufgehoben",
        ),
        (("audit", "export", "--since", "2027-01-01", "--until", "2026-01-01"), "nicht vor"),
    ):
        result = admin(db, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
    warned = admin(db, "keys", "create", "--user", "anna@amt.de", "--model", "doesnotexist")
    assert warned.exit_code == 0 and "der Server entscheidet" in warned.output
    admin(db, "quotas", "set", "--user", "anna@amt.de", "--tokens-per-day", "5")
    admin(db, "quotas", "set", "--user", "anna@amt.de", "--lift", "tokens_per_day")
    assert json.loads(admin(db, "quotas", "list", "--json").stdout) == []
    helped = runner.invoke(app, ["admin", "quotas", "set", "--help"]).output
    assert "0 blocks" in helped or "0 sperrt" in helped


def test_a_closed_pipe_ends_the_export_quietly(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    gateway = Gateway(open_store(str(db)))
    at = datetime(2026, 1, 1)
    for i in range(4000):  # ~0.8 MB of export: far more than a pipe's 64 KiB buffer
        gateway.audit.write(
            at=at + timedelta(seconds=i),
            request_id=f"r{i}",
            route="/v1",
            status=200,
            decision="allowed",
        )
    command = [
        str(Path(sys.executable).parent / "gemeingut"),
        "admin",
        "audit",
        "export",
        "--db",
        str(db),
    ]
    done = subprocess.run(
        f"{' '.join(command)} | head -1",
        shell=True,
        capture_output=True,
        text=True,
        env={**os.environ, "GEMEINGUT_LANG": "de"},
        timeout=120,
    )
    assert done.stdout.startswith("{") and "Broken pipe" not in done.stderr, done.stderr
    assert "Fehler" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    # the export stopped early is on record: its reading held no lock the record waited for
    [act] = [r for r in export(gateway.engine) if r["route"] == "admin:audit-export"]
    assert str(act["decision"]).startswith("read:")
