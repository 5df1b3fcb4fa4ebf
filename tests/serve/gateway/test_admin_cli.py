"""`gemeingut admin`: what an operator types, with readable errors and exit codes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import authenticate
from gemeingut.serve.gateway.store import open_store

runner = CliRunner()


def admin(db: Path | str, *args: str):
    return runner.invoke(app, ["admin", *args, "--db", str(db)])


def test_an_operator_sets_up_users_keys_and_quotas(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    assert admin(db, "groups", "add", "schule").exit_code == 0
    assert admin(db, "users", "add", "anna", "--group", "schule").exit_code == 0
    created = admin(
        db, "keys", "create", "--user", "anna", "--model", "demo", "--expires", "30d", "--json"
    )
    assert created.exit_code == 0, created.output
    key = json.loads(created.stdout)["key"]
    assert authenticate(open_store(str(db)), key).models == ("demo",)
    listed = admin(db, "keys", "list", "--json")
    assert key.split("_", 2)[2] not in listed.output  # the secret is shown once only
    [row] = json.loads(listed.output)
    assert row["user"] == "anna" and row["models"] == ["demo"] and row["expires_at"]
    quota = admin(db, "quotas", "set", "--group", "schule", "--tokens-per-day", "5000")
    assert quota.exit_code == 0
    [limits] = json.loads(admin(db, "quotas", "list", "--json").output)
    assert limits["tokens_per_day"] == 5000 and limits["tokens_today"] == 0
    lifted = admin(db, "quotas", "set", "--group", "schule", "--lift", "tokens_per_day")
    assert lifted.exit_code == 0
    assert json.loads(admin(db, "quotas", "list", "--json").output) == []  # no limit left
    assert admin(db, "keys", "revoke", row["id"]).exit_code == 0


def test_tables_speak_german_and_json_keeps_the_column_names(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "users", "add", "anna")
    admin(db, "keys", "create", "--user", "anna")
    admin(db, "users", "disable", "anna")
    admin(db, "quotas", "set", "--user", "anna", "--tokens-per-day", "100")
    users = admin(db, "users", "list").output
    assert "Gruppen" in users and "gesperrt" in users and "│ ja" in users
    assert "created_at" not in users and "False" not in users and "True" not in users
    keys = admin(db, "keys", "list").output
    assert "Modelle" in keys and "│ alle" in keys
    quotas = admin(db, "quotas", "list").output
    assert "│ Person" in quotas and "Tokens/Tag" in quotas and "tokens_per" not in quotas
    [row] = json.loads(admin(db, "users", "list", "--json").output)
    assert row["disabled"] is True and "created_at" in row


def test_operator_mistakes_are_one_line_and_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    for args, message in (
        (("users", "add", "bert", "--group", "nirgends"), "keine Gruppe „nirgends“"),
        (("keys", "create", "--user", "zoe"), "keine Person „zoe“"),
        (("quotas", "set", "--tokens-per-day", "5"), "genau eines von"),
        (("keys", "create", "--user", "x", "--expires", "bald"), "weder eine Dauer noch ein Datum"),
        (("audit", "export", "--format", "xml"), "unbekanntes Format"),
    ):
        result = admin(db, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output
    bad_url = runner.invoke(
        app, ["admin", "users", "list", "--db", "postgresql://nobody:secret@127.0.0.1:1/none"]
    )
    assert bad_url.exit_code == 2 and "lässt sich nicht öffnen" in bad_url.output
    assert "secret" not in bad_url.output  # the password is not echoed
    for url in ("mysql://u@h/db", "bogus://x", "/proc/nope/gateway.db"):
        result = runner.invoke(app, ["admin", "users", "list", "--db", url])
        assert result.exit_code == 2, (url, result.output)
        assert "die Gateway-Datenbank" in result.output
        if "://" in url:  # said as what it is, not as a missing Python driver
            said = " ".join(result.output.split())
            assert "muss SQLite oder PostgreSQL sein, nicht" in said and "module" not in said


def test_the_audit_log_exports_as_jsonl_and_csv_and_is_purged(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    gateway = Gateway(open_store(str(db)))
    for status in (200, 401, 429):
        gateway.record("/v1/chat/completions", status, "allowed", model="demo")
    out = tmp_path / "records.csv"
    assert admin(db, "audit", "export", "--format", "csv", "--out", str(out)).exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["status"] for r in rows] == ["200", "401", "429"]
    lines = admin(db, "audit", "export").output.strip().splitlines()
    assert len(lines) == 4 and json.loads(lines[0])["model"] == "demo"
    reading = json.loads(lines[3])  # the first export is itself on record
    assert (reading["route"], reading["decision"]) == ("admin:audit-export", "read:3;all")
    future = admin(db, "audit", "purge", "--older-than", "2999-01-01", "--yes", "--force")
    assert future.exit_code == 2 and "liegt in der Zukunft" in future.output
    assert "früherer Löschungen" in future.output and len(list(export(open_store(str(db))))) == 5
    purged = admin(db, "audit", "purge", "--older-than", "0d", "--yes")
    assert "5 Protokolleinträge gelöscht" in purged.output


def test_serving_the_network_without_a_database_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    result = runner.invoke(app, ["serve", str(model), "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "ohne --db" in result.output and "--no-auth" in result.output


def test_out_of_range_options_are_one_german_line_on_either_store(store_url: str) -> None:
    """Durations and numbers beyond what a date or a column holds were tracebacks (and a 3
    billion tokens/day limit one on PostgreSQL only)."""
    assert admin(store_url, "users", "add", "u1").exit_code == 0
    for args, message in (
        (("keys", "create", "--user", "u1", "--expires", "99999999d"), "--expires 99999999d"),
        (("keys", "create", "--user", "u1", "--expires", "9999999999999999999999d"), "--expires"),
        (("audit", "export", "--since", "99999999d"), "--since 99999999d liegt außerhalb"),
        (("audit", "purge", "--older-than", "36501d"), "--older-than 36501d liegt außerhalb"),
        (("keys", "create", "--user", "u1", "--expires", "9999-12-31T23:59-05:00"), "--expires"),
        (("keys", "create", "--user", "u1", "--expires", "2020-01-01"), "in der Vergangenheit"),
        (
            ("quotas", "set", "--user", "u1", "--tokens-per-day", "99999999999999999999"),
            "--tokens-per-day muss zwischen 0 und 1.000.000.000.000.000 liegen",
        ),
        (("keys", "create", "--user", "u1", "--name", "n" * 300), "hat 300 Zeichen"),
        (("users", "add", "a\x01b"), "enthält ein Steuerzeichen"),
        (("groups", "add", ""), "der Gruppenname ist leer"),
    ):
        result = admin(store_url, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output, result.output
    quota = admin(store_url, "quotas", "set", "--user", "u1", "--tokens-per-day", "3000000000")
    assert quota.exit_code == 0, quota.output
    assert "Grenzen von Person u1 gesetzt: Tokens/Tag 3.000.000.000" in quota.output
    lifted = admin(store_url, "quotas", "set", "--user", "u1", "--lift", "tokens_per_day")
    assert "Grenzen von Person u1 gesetzt: Tokens/Tag aufgehoben" in lifted.output
    assert admin(store_url, "keys", "list", "--json").output.strip() == "[]"


def test_a_time_with_an_offset_is_converted_and_one_without_is_local(
    tmp_path: Path, monkeypatch
) -> None:
    import time
    from datetime import datetime

    db = tmp_path / "gateway.db"
    gateway = Gateway(open_store(str(db)))
    for hour in (20, 21, 22):  # UTC, as the log keeps time
        gateway.audit.write(
            at=datetime(2026, 12, 4, hour, 30),
            request_id=f"r{hour}",
            route="/v1/chat/completions",
            status=200,
            decision="allowed",
        )

    def since(value: str) -> list[str]:
        result = admin(db, "audit", "export", "--since", value)
        assert result.exit_code == 0, result.output
        found = [json.loads(line)["request_id"] for line in result.output.splitlines()]
        return [r for r in found if not r.startswith("admin-")]  # earlier exports' records

    assert since("2026-12-04T22:00+02:00") == ["r20", "r21", "r22"]  # 20:00 UTC
    assert since("2026-12-04T21:00Z") == ["r21", "r22"]
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        assert since("2026-12-04T22:00") == ["r21", "r22"]  # 22:00 in Berlin is 21:00 UTC
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_mistyped_database_path_is_refused_not_created(tmp_path: Path) -> None:
    typo = tmp_path / "nonexistent" / "dir" / "x.db"
    for args in (("users", "list"), ("keys", "list"), ("audit", "export"), ("quotas", "list")):
        result = admin(typo, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "die Gateway-Datenbank" in result.output and "gibt es nicht" in result.output
        assert "admin groups add" in result.output
    assert not (tmp_path / "nonexistent").exists()
    folder = admin(typo, "groups", "add", "demo")  # nor a tree of new folders
    assert folder.exit_code == 2 and "gibt es nicht" in folder.output, folder.output
    assert "mkdir -p" in folder.output and not (tmp_path / "nonexistent").exists()
    typo.parent.mkdir(parents=True)  # as `make demo` does with workspace/
    assert admin(typo, "groups", "add", "demo").exit_code == 0
    assert admin(typo, "users", "list").exit_code == 0


def test_piped_tables_keep_every_column_and_full_key_ids(tmp_path: Path) -> None:
    """`admin keys list | cat` lost `last_used_at` to rich's 80 columns for a pipe."""
    db = tmp_path / "gateway.db"
    admin(db, "users", "add", "anna.schmidt-mustermann@schulamt.example")
    created = admin(
        db,
        "keys",
        "create",
        "--user",
        "anna.schmidt-mustermann@schulamt.example",
        "--name",
        "Laptop im Sekretariat der Grundschule",
        "--model",
        "gemeingut-demo-1m",
        "--expires",
        "30d",
        "--json",
    )
    key_id = json.loads(created.stdout)["id"]
    admin(db, "quotas", "set", "--key", key_id, "--tokens-per-day", "5000")
    for args, last in (("keys", "list"), "zuletzt vorgezeigt"), (("quotas", "list"), "offene"):
        output = admin(db, *args).stdout  # CliRunner's stdout is no terminal
        assert key_id in output and "…" not in output, output
        assert last in output.splitlines()[1], output  # the last heading, on the first row


def test_serve_refuses_an_audit_retention_without_a_database(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    result = runner.invoke(app, ["serve", str(model), "--audit-retention-days", "3"])
    assert result.exit_code == 2
    assert "--audit-retention-days" in result.output and "--db" in result.output


def test_quotas_say_what_they_count_and_from_when(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "users", "add", "anna")
    env = {**os.environ, "TERMINAL_WIDTH": "200", "GEMEINGUT_LANG": "de"}
    command = [sys.executable, "-m", "gemeingut.cli", "admin", "quotas", "set", "--help"]
    shown = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    help_text = " ".join(shown.stdout.split())
    assert "Gleichzeitig offene Streams" in help_text and "Gleichzeitig laufende" not in help_text
    assert "Anfragen ohne Stream begrenzen nur" in help_text
    first = admin(db, "quotas", "set", "--user", "anna", "--tokens-per-day", "100000")
    assert first.exit_code == 0
    assert "die Grenze für Tokens/Tag gilt ab jetzt" in first.output
    assert "wird nicht angerechnet" in first.output
    both = admin(
        db, "quotas", "set", "--user", "anna", "--tokens-per-day", "200000",
        "--requests-per-minute", "5", "--concurrent-streams", "2",
    )  # fmt: skip
    # Streams are counted while they run, not as use that adds up: no word of earlier use.
    assert "die Grenze für Anfragen/Minute gilt ab jetzt" in both.output
    assert "Streams gelten ab jetzt" not in both.output
    again = admin(db, "quotas", "set", "--user", "anna", "--tokens-per-day", "300000")
    assert "ab jetzt" not in again.output  # counted since the first limit already
    listed = admin(db, "quotas", "list").output
    assert "300.000" in listed and "300000" not in listed  # as the 429 messages write it
    [row] = json.loads(admin(db, "quotas", "list", "--json").output)
    assert row["tokens_per_day"] == 300_000


def test_a_key_for_a_model_without_a_name_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "users", "add", "anna")
    for blank in ("", "  "):
        result = admin(db, "keys", "create", "--user", "anna", "--model", blank)
        assert result.exit_code == 2, result.output
        assert "nennt kein Modell" in result.output and "Traceback" not in result.output
    assert json.loads(admin(db, "keys", "list", "--json").output) == []
