"""`admin audit export --out FILE` writes the format the file's ending names, refuses an ending
that names another format, and `admin audit records` says where each missing item is stated
and what is wrong in a broken facts file, in German."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.store import open_store

runner = CliRunner()


def admin(db: Path, *args: str):
    return runner.invoke(app, ["admin", *args, "--db", str(db)])


def _logged(tmp_path: Path) -> Path:
    db = tmp_path / "gateway.db"
    gateway = Gateway(open_store(str(db)))
    for status in (200, 429):
        gateway.record("/v1/chat/completions", status, "allowed", model="demo")
    return db


def test_the_file_ending_chooses_the_format(tmp_path: Path) -> None:
    db = _logged(tmp_path)
    as_csv = tmp_path / "a2.csv"
    assert admin(db, "audit", "export", "--out", str(as_csv)).exit_code == 0
    rows = list(csv.DictReader(as_csv.open(encoding="utf-8")))
    assert [r["status"] for r in rows] == ["200", "429"]
    as_jsonl = tmp_path / "a2.jsonl"
    assert admin(db, "audit", "export", "--out", str(as_jsonl)).exit_code == 0
    first = as_jsonl.read_text(encoding="utf-8").splitlines()[0]
    assert json.loads(first)["status"] == 200


def test_an_ending_that_names_another_format_is_refused_and_nothing_written(
    tmp_path: Path,
) -> None:
    db = _logged(tmp_path)
    mismatch = tmp_path / "a.csv"
    said = admin(db, "audit", "export", "--format", "jsonl", "--out", str(mismatch))
    assert said.exit_code == 2, said.output
    assert "endet auf .csv, der Export wird aber als jsonl geschrieben" in said.output
    assert "Traceback" not in said.output and not mismatch.exists()
    one_document = tmp_path / "a.json"
    said = admin(db, "audit", "export", "--out", str(one_document))
    assert said.exit_code == 2 and "kein einzelnes JSON-Dokument" in said.output
    assert not one_document.exists()


def test_missing_record_items_name_where_each_is_stated(tmp_path: Path) -> None:
    db = _logged(tmp_path)
    said = admin(db, "audit", "records")
    assert said.exit_code == 1
    warnings = [line for line in said.stderr.splitlines() if line.startswith("!")]
    facts = next(line for line in warnings if "controller" in line)
    assert "Löschfrist" not in facts and "--facts" in facts
    retention = next(line for line in warnings if "Löschfrist" in line)
    assert "`gemeingut admin audit retention --db … --days N`" in retention


def test_a_broken_facts_file_is_said_in_german_with_its_place(tmp_path: Path) -> None:
    db = _logged(tmp_path)
    broken = tmp_path / "facts.yaml"
    broken.write_text("controller: Stadt\npurposes: [Entwürfe,\n", encoding="utf-8")
    said = runner.invoke(
        app, ["admin", "audit", "records", "--db", str(db), "--facts", str(broken)]
    )
    assert said.exit_code == 2
    assert "facts.yaml, Zeile 3, Spalte 1" in said.output
    assert "eine öffnende Klammer ist nicht geschlossen" in said.output
    assert "expected" not in said.output and "<stream end>" not in said.output
