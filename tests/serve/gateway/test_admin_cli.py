"""`gemeingut admin`: what an operator types, with readable errors and exit codes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import authenticate
from gemeingut.serve.gateway.store import open_store

runner = CliRunner()


def admin(db: Path, *args: str):
    return runner.invoke(app, ["admin", *args, "--db", str(db)])


def test_an_operator_sets_up_users_keys_and_quotas(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    assert admin(db, "groups", "add", "schule").exit_code == 0
    assert admin(db, "users", "add", "anna", "--group", "schule").exit_code == 0
    created = admin(
        db, "keys", "create", "--user", "anna", "--model", "demo", "--expires", "30d", "--json"
    )
    assert created.exit_code == 0, created.output
    key = json.loads(created.output)["key"]
    assert authenticate(open_store(str(db)), key).models == ("demo",)
    listed = admin(db, "keys", "list", "--json")
    assert key.split("_", 2)[2] not in listed.output  # the secret is shown once only
    [row] = json.loads(listed.output)
    assert row["user"] == "anna" and row["models"] == "demo" and row["expires_at"]
    quota = admin(db, "quotas", "set", "--group", "schule", "--tokens-per-day", "5000")
    assert quota.exit_code == 0
    [limits] = json.loads(admin(db, "quotas", "list", "--json").output)
    assert limits["tokens_per_day"] == 5000 and limits["tokens_today"] == 0
    lifted = admin(db, "quotas", "set", "--group", "schule", "--lift", "tokens_per_day")
    assert lifted.exit_code == 0
    assert json.loads(admin(db, "quotas", "list", "--json").output)[0]["tokens_per_day"] is None
    assert admin(db, "keys", "revoke", row["id"]).exit_code == 0


def test_operator_mistakes_are_one_line_and_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    for args, message in (
        (("users", "add", "bert", "--group", "nirgends"), "keine Gruppe 'nirgends'"),
        (("keys", "create", "--user", "zoe"), "keine Person 'zoe'"),
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
    for url in ("mysql://u@h/db", "bogus://x", "/proc/nope/gateway.db"):  # no driver, no plugin
        result = runner.invoke(app, ["admin", "users", "list", "--db", url])
        assert result.exit_code == 2, (url, result.output)
        assert "die Gateway-Datenbank" in result.output


def test_the_audit_log_exports_as_jsonl_and_csv_and_is_purged(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    gateway = Gateway(open_store(str(db)))
    for status in (200, 401, 429):
        gateway.record("/v1/chat/completions", status, "allowed", model="demo")
    out = tmp_path / "audit" / "records.csv"
    assert admin(db, "audit", "export", "--format", "csv", "--out", str(out)).exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["status"] for r in rows] == ["200", "401", "429"]
    lines = admin(db, "audit", "export").output.strip().splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["model"] == "demo"
    assert (
        "3 Protokolleinträge gelöscht"
        in admin(db, "audit", "purge", "--older-than", "2999-01-01").output
    )


def test_serving_the_network_without_a_database_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    result = runner.invoke(app, ["serve", str(model), "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "ohne --db" in result.output and "--no-auth" in result.output
