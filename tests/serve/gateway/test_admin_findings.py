"""What a tester found in `gemeingut admin` and the gateway database: a database from a newer
gemeingut, admin acts missing from the audit log, the Art. 30 record's gaps and wording, the
facts file's messages, German dates, and smaller mistakes. Real SQLite files, the real CLI."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.i18n import text
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import authenticate, utcnow
from gemeingut.serve.gateway.records import (
    ControllerFacts,
    deployment_facts,
    read_record,
    record_deployment,
)
from gemeingut.serve.gateway.records_text import render_record
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.http_errors import APIError
from gemeingut.serve.model_queue import ModelQueue

runner = CliRunner()


def admin(db: Path | str, *args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["admin", *args, "--db", str(db)], env=env)


def admin_records(db: Path) -> list[dict]:
    return [r for r in export(open_store(str(db))) if r["route"].startswith("admin:")]


def test_a_database_of_a_newer_gemeingut_is_one_german_line_for_admin_and_serve(
    tmp_path: Path,
) -> None:
    db = tmp_path / "gateway.db"
    assert admin(db, "groups", "add", "amt").exit_code == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    listed = admin(db, "users", "list")
    assert listed.exit_code == 2, listed.output
    assert "stammt von einer neueren gemeingut-Version (Revision 9999)" in listed.output
    assert "diese kennt höchstens Revision" in listed.output and "Sicherung" in listed.output
    assert "Traceback" not in listed.output and "CommandError" not in listed.output
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    served = runner.invoke(app, ["serve", str(model), "--db", str(db)])
    assert served.exit_code == 2 and "neueren gemeingut-Version" in served.output


def test_a_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    db = tmp_path / "gibt" / "es" / "nicht" / "x.db"
    result = admin(db, "users", "add", "x")
    assert result.exit_code == 2
    assert "den Ordner" in result.output and "gibt es nicht" in result.output
    assert "mkdir -p" in result.output and not (tmp_path / "gibt").exists()


def test_every_admin_read_and_change_of_access_is_recorded_with_its_operator(
    tmp_path: Path,
) -> None:
    db = tmp_path / "gateway.db"
    as_chef = {"GEMEINGUT_OPERATOR": "chef"}
    admin(db, "groups", "add", "amt")
    admin(db, "users", "add", "anna", "--group", "amt")
    key = json.loads(admin(db, "keys", "create", "--user", "anna", "--json").stdout)["id"]
    rotated = json.loads(admin(db, "keys", "rotate", key, "--json").stdout)["id"]
    admin(db, "quotas", "set", "--user", "anna", "--tokens-per-day", "100", env=as_chef)
    admin(db, "quotas", "set", "--group", "amt", "--requests-per-minute", "3")
    admin(db, "users", "disable", "anna", "--operator", "chef")
    admin(db, "users", "enable", "anna")
    admin(db, "keys", "revoke", rotated)
    assert admin(db, "audit", "export", "--user", "anna").exit_code == 0
    records = admin_records(db)
    routes = [r["route"] for r in records]
    assert routes == [
        "admin:groups-add",
        "admin:users-add",
        "admin:keys-create",
        "admin:keys-rotate",
        "admin:keys-rotate",
        "admin:quotas-set",
        "admin:quotas-set",
        "admin:users-disable",
        "admin:users-enable",
        "admin:keys-revoke",
        "admin:audit-export",
    ]
    assert all(r["operator_pseudonym"] for r in records)
    chef = {records[5]["operator_pseudonym"], records[7]["operator_pseudonym"]}
    assert len(chef) == 1 and records[0]["operator_pseudonym"] not in chef  # another account
    assert "chef" not in json.dumps(records, default=str)  # a pseudonym, not the name
    anna = records[1]["user_pseudonym"]
    assert anna and all(r["user_pseudonym"] == anna for r in records[1:6] + records[7:])
    assert records[5]["decision"] == "user:tpd=100"
    assert re.fullmatch(r"group:rpm=3,g-[0-9a-f]{16}", records[6]["decision"])  # not "amt"
    assert records[6]["user_pseudonym"] is None
    assert records[-1]["decision"].startswith("read:")  # how many it gave out, nothing of them
    for record in records:  # metadata only, and as small as a request's record
        assert len(json.dumps(record, default=str).encode()) < 512


def test_an_export_by_key_pseudonym_and_of_a_removed_person(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "users", "add", "anna")
    created = json.loads(admin(db, "keys", "create", "--user", "anna", "--json").stdout)
    engine = open_store(str(db))
    Gateway(engine).record(
        "/v1/completions", 200, "allowed", principal=authenticate(engine, created["key"])
    )
    [request] = [
        json.loads(line)
        for line in admin(db, "audit", "export").stdout.splitlines()
        if json.loads(line)["route"] == "/v1/completions"
    ]
    pseudonym = request["key_id"]
    assert pseudonym.startswith("k-")
    by_pseudonym = admin(db, "audit", "export", "--key", pseudonym)
    assert by_pseudonym.exit_code == 0, by_pseudonym.output
    assert "/v1/completions" in by_pseudonym.stdout
    unknown = admin(db, "audit", "export", "--key", "k-0000000000000000")
    assert unknown.exit_code == 2 and "das Pseudonym, das ein Export zeigt" in unknown.output
    assert admin(db, "users", "remove", "anna", "--yes").exit_code == 0
    removed = admin(db, "audit", "export", "--user", "anna")
    assert removed.exit_code == 2 and "eine entfernte Person" in removed.output
    assert "unter ihrem Pseudonym" in removed.output and "users add" not in removed.output


def test_a_limit_on_a_revoked_key_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "users", "add", "anna")
    key = json.loads(admin(db, "keys", "create", "--user", "anna", "--json").stdout)["id"]
    admin(db, "keys", "revoke", key)
    result = admin(db, "quotas", "set", "--key", key, "--tokens-per-day", "10")
    assert result.exit_code == 2 and "ist widerrufen" in result.output
    assert json.loads(admin(db, "quotas", "list", "--json").stdout) == []


def german_help(*command: str) -> str:
    """`gemeingut … --help` as an operator sees it (the help is translated at the entry point)."""
    env = {**os.environ, "TERMINAL_WIDTH": "200", "GEMEINGUT_LANG": "de"}
    arguments = [sys.executable, "-m", "gemeingut.cli", *command, "--help"]
    shown = subprocess.run(arguments, capture_output=True, text=True, env=env, timeout=120)
    return " ".join(shown.stdout.split())


def test_a_groups_limit_is_said_to_be_the_groups_total() -> None:
    said = german_help("admin", "quotas", "set")
    assert "die Summe der Gruppe, die sich alle Mitglieder teilen" in said
    assert "für alle Mitglieder zusammen" in said
    assert "bis zum Ende dieses Tages" in german_help("admin", "keys", "create")


def test_german_dates_are_read_and_a_bare_expiry_lasts_the_day(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "users", "add", "anna")

    def expiry(value: str) -> datetime:
        result = admin(db, "keys", "create", "--user", "anna", "--expires", value, "--json")
        assert result.exit_code == 0, result.output
        at = json.loads(result.stdout)["expires_at"]
        return datetime.fromisoformat(at.removesuffix("Z"))

    whole_day = expiry("31.01.2099")
    at_six = expiry("31.01.2099 18:00")
    iso_day = expiry("2099-01-31")
    local_midnight = at_six - timedelta(hours=18)  # 31.01. 00:00 local, in UTC
    assert whole_day == iso_day == local_midnight + timedelta(days=1)  # through the 31st
    empty = admin(db, "keys", "create", "--user", "anna", "--expires", "")
    assert empty.exit_code == 2 and "--expires ist leer" in empty.output
    wrong = admin(db, "keys", "create", "--user", "anna", "--expires", "31.02.2099")
    assert wrong.exit_code == 2 and "weder eine Dauer noch ein Datum" in wrong.output
    since = admin(db, "audit", "export", "--since", "05.12.2026")
    assert since.exit_code == 0, since.output


def test_the_art_30_record_lists_a_missing_retention_and_speaks_plainly(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "groups", "add", "amt")
    admin(db, "users", "add", "anna", "--group", "amt")
    engine = open_store(str(db))
    now = utcnow()  # the CLI reads the record now: a start it counts (`records_servers`)
    record_deployment(engine, deployment_facts("m", None, None, None, now))
    facts = tmp_path / "fakten.yaml"
    facts.write_text(
        "controller: Amt\ndpo: DSB\npurposes: [Textarbeit, Übersetzen]\nlegal_basis: Art. 6\n"
        "recipients:\n  - Rechenzentrum\ntransfers: keine\n",
        encoding="utf-8",
    )
    result = admin(db, "audit", "records", "--facts", str(facts), "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["missing"] == ["audit_retention"]
    assert data["controller_facts"]["purposes"] == ["Textarbeit", "Übersetzen"]
    assert data["oldest_audit_record"].endswith("Z")
    document = admin(db, "audit", "records", "--facts", str(facts)).stdout
    assert "- Textarbeit\n- Übersetzen" in document and "  - Rechenzentrum" in document
    assert "1 Nutzerkonto (0 gesperrt) in 1 Gruppe, 0 API-Schlüssel" in document
    assert "Keine Löschfrist festgelegt" in document
    assert "Sperren und Widerrufen löschen nichts" in document
    assert "bis eine Administratorin sie sperrt" not in document
    english = render_record(read_record(engine, ControllerFacts(), now), "en")
    assert "1 user account (0 disabled) in 1 group" in english


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("controller: Amt\nzweck: Texte\n", "Zeile 2, Feld zweck: ist keine bekannte Einstellung"),
        ("controller: Amt\npurposes: {a: 1}\n", "Feld purposes: muss ein Text oder eine Liste"),
        ("controller: [Amt]\n", "Zeile 1, Feld controller: muss ein Text sein"),
    ],
)
def test_a_wrong_facts_file_is_said_in_german_with_line_and_field(
    tmp_path: Path, content: str, said: str
) -> None:
    facts = tmp_path / "fakten.yaml"
    facts.write_text(content, encoding="utf-8")
    result = admin(tmp_path / "gateway.db", "audit", "records", "--facts", str(facts))
    assert result.exit_code == 2
    one_line = " ".join(result.output.split())
    assert said in one_line and "fakten.yaml" in one_line, one_line
    assert "Extra inputs" not in one_line and "valid string" not in one_line


def test_counts_of_one_are_singular(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "users", "add", "anna")
    admin(db, "keys", "create", "--user", "anna")
    removed = admin(db, "users", "remove", "anna", "--yes")
    said = " ".join(removed.output.split())
    assert "entfernt: 1 Schlüssel und keine gespeicherten Inhalte von Anfragen" in said, said
    busy = ModelQueue(max_waiting=1)
    busy.admit(), busy.admit()  # one running, one waiting
    with pytest.raises(APIError) as refused:
        busy.admit()
    assert "(1 Anfrage wartet)" in text(refused.value.message)
