"""`admin audit export` that finds nothing says so on stderr. A request id with no record is a
lookup that failed: exit 1 (as grep), no output and no file. A period or a person without
records is an answer, written whole (an empty file, a CSV with its header) with exit 0. Either
way the reading is on record."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.audit_log import AuditLog, export
from gemeingut.serve.gateway.identity import add_user
from gemeingut.serve.gateway.store import open_store

runner = CliRunner()


def logged(tmp_path: Path) -> Path:
    """A database with one answered request in its log (`x-request-id` req_…)."""
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    add_user(engine, "anna")
    AuditLog(engine).write(
        at=datetime(2025, 6, 3, 12, 0),
        request_id="chatcmpl-" + "1" * 32,
        x_request_id="req_" + "2" * 28,
        route="/v1/chat/completions",
        model="tiny-llama",
        status=200,
        decision="allowed",
    )
    return db


def audit_export(db: Path, *args: str):
    return runner.invoke(app, ["admin", "audit", "export", "--db", str(db), *args])


def test_a_request_id_without_a_record_is_said_with_exit_1_and_writes_nothing(
    tmp_path: Path,
) -> None:
    db = logged(tmp_path)
    out = tmp_path / "gefunden.jsonl"
    for where in ((), ("--out", str(out))):
        missing = audit_export(db, "--request", "req_gibtsnicht", *where)
        assert missing.exit_code == 1, missing.output
        assert missing.stdout == ""
        said = " ".join(missing.stderr.split())
        assert "kein Protokolleintrag der Anfrage „req_gibtsnicht“ passt" in said, said
        assert "x-request-id" in said and "Traceback" not in missing.output
    left = [p.name for p in tmp_path.iterdir() if not p.name.startswith("gateway.db")]
    assert left == []  # no file, no .partial
    readings = [r for r in export(open_store(str(db))) if r["route"] == "admin:audit-export"]
    assert [r["decision"] for r in readings] == ["read:0", "read:0"]  # the search is on record

    found = audit_export(db, "--request", "req_" + "2" * 28)
    assert found.exit_code == 0, found.output
    [record] = [json.loads(line) for line in found.stdout.splitlines()]
    assert record["request_id"] == "chatcmpl-" + "1" * 32
    assert "kein Protokolleintrag" not in found.stderr


def test_an_empty_period_is_an_empty_export_said_on_stderr(tmp_path: Path) -> None:
    db = logged(tmp_path)
    period = ("--since", "2025-01-01", "--until", "2025-01-31")
    empty = audit_export(db, *period)
    assert (empty.exit_code, empty.stdout) == (0, "")
    assert "kein Protokolleintrag passt: der Export ist leer" in empty.stderr
    out = tmp_path / "januar.csv"
    written = audit_export(db, *period, "--out", str(out))
    assert written.exit_code == 0, written.output
    assert "der Export ist leer" in written.stderr
    with out.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert list(reader) == [] and "request_id" in (reader.fieldnames or [])
    whole = audit_export(db, "--since", "2025-06-01", "--until", "2025-06-30")
    assert whole.exit_code == 0 and len(whole.stdout.splitlines()) == 1
    assert "der Export ist leer" not in whole.stderr
