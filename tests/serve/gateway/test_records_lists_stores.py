"""The record of processing activities lists every store of personal data beside the database:
the document collections (and the uploads people add to them) and the findings file, each
with what it holds now, who reads it and how it is deleted. Before, a server run with
`--collections`, `--upload-max-mb` and `--findings`, with a document uploaded and a report
made, said only "Inhalte von Anfragen und Antworten: werden nicht gespeichert" and named none
of them."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

import httpx
from fastapi import FastAPI
from typer.testing import CliRunner

from gemeingut.apps.rag.index import ingest
from gemeingut.cli import app
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.findings_files import remember_findings_file
from gemeingut.serve.findings_routes import FindingsDesk
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key
from gemeingut.serve.gateway.records import (
    ControllerFacts,
    Stored,
    deployment_facts,
    read_record,
    record_deployment,
)
from gemeingut.serve.gateway.records_text import render_record
from gemeingut.serve.gateway.store import open_store

Serve = Callable[[FastAPI], AbstractContextManager[str]]
runner = CliRunner()
MIB = 1024 * 1024
REPORT = {
    "category": "privacy",
    "prompt": "Wie erreiche ich Frau Berg?",
    "response": "Schreiben Sie an berg@amt.example.",
}


def said(*args: str) -> str:
    result = runner.invoke(app, ["admin", "audit", "records", *args])
    assert result.exit_code == 1, result.output  # the controller's facts are not stated
    return " ".join(result.output.split())


def test_collections_uploads_and_findings_are_in_the_record(
    store_url: str, backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    engine = open_store(store_url)
    keys = {}
    for user, group in (("anna", "amt"), ("tom", "triage")):
        add_group(engine, group)
        add_user(engine, user, (group,))
        keys[user] = {"Authorization": f"Bearer {create_key(engine, user)[1]}"}
    root = tmp_path / "sammlungen"
    for name, groups in (("amt", ["amt"]), ("archiv", [])):
        (tmp_path / name).mkdir()
        (tmp_path / name / "regel.txt").write_text("Anträge bis März.", encoding="utf-8")
        ingest(root, name, [tmp_path / name], groups=groups)
    findings = tmp_path / "befunde.jsonl"
    served = create_app(
        backend,
        gateway=Gateway(engine),
        collections=root,
        upload_max_bytes=20 * MIB,
        findings=FindingsDesk(findings),
    )
    with serve(served) as url:
        uploaded = httpx.post(
            f"{url}/v1/collections/amt/documents",
            params={"filename": "Vermerk.txt"},
            content=b"Frau Berg ist bis Freitag im Urlaub.",
            headers={"Content-Type": "application/octet-stream", **keys["anna"]},
            timeout=60,
        )
        assert uploaded.status_code == 200, uploaded.text
        reported = httpx.post(f"{url}/v1/findings", json=REPORT, headers=keys["anna"], timeout=30)
        assert reported.status_code == 200, reported.text

    text = said("--db", store_url)
    folder, file = root.resolve(), findings.resolve()
    assert (
        f"Dokumentensammlungen im Ordner `{folder}` (`--collections`): 2 Sammlungen mit 3 "
        "Dokumenten, davon 1 von Personen hochgeladen."
    ) in text
    assert "Hochladen eingeschaltet (`--upload-max-mb 20`)" in text
    assert "`amt`: die Gruppe `amt`" in text
    assert "`archiv`: keine Gruppe: für niemanden sichtbar" in text
    assert (
        f"Meldungen zum Modell in `{file}` (`--findings`): 1 Meldung, davon 0 bestätigt und 1 "
        "mit dem Pseudonym der meldenden Person."
    ) in text
    assert "E-Mail-Adressen, IBANs" in text and "durch Platzhalter ersetzt" in text
    assert f"Meldungen in `{file}` lesen und entscheiden die Mitglieder der Gruppe `triage`" in text
    assert (
        "werden nicht gespeichert (das Protokoll hat keine Spalte dafür) – außer Anfrage und "
        "Antwort, die eine Person als Meldung einreicht"
    ) in text
    assert f"`gemeingut rag remove NAME SCHLÜSSEL --root {folder}`" in text
    assert "hochgeladene auch ein Mitglied der Gruppen" in text
    assert "`gemeingut admin users remove` entfernt die noch nicht bestätigten Meldungen" in text

    english = runner.invoke(
        app, ["--lang", "en", "admin", "audit", "records", "--db", store_url, "--json"]
    )
    stores = json.loads(english.stdout)["stores"]
    assert (stores["documents"]["total"], stores["documents"]["uploaded"]) == (3, 1)
    assert stores["documents"]["upload_max_mb"] == "20"
    [held] = stores["findings"]
    assert (held["path"], held["findings"], held["named"]) == (str(file), 1, 1)
    assert held["from_start"] and held["remembered"]
    english_text = " ".join(
        runner.invoke(
            app, ["--lang", "en", "admin", "audit", "records", "--db", store_url]
        ).output.split()
    )
    assert "3 documents, 1 of them uploaded by people" in english_text
    assert "Uploads on (`--upload-max-mb 20`)" in english_text

    removed = runner.invoke(app, ["admin", "users", "remove", "anna", "--db", store_url, "--yes"])
    assert removed.exit_code == 0, removed.output
    assert f"in `{file}` (`--findings`): 0 Meldungen" in said("--db", store_url)


def test_an_earlier_start_s_stores_and_a_long_folder_are_named_whole(tmp_path: Path) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    root = tmp_path.joinpath(*["ordner-mit-einem-langen-namen"] * 8)  # over 200 characters
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "regel.txt").write_text("Anträge bis März.", encoding="utf-8")
    ingest(root, "amt", [tmp_path / "a"], groups=["amt"])
    earlier = tmp_path / "frueher.jsonl"
    earlier.write_text("", encoding="utf-8")
    remember_findings_file(engine, earlier)  # a server stored reports there once
    now = datetime(2026, 12, 4, 9, 30)
    stores = Stored(root, None, tmp_path / "neu.jsonl", "pruefung")
    record_deployment(engine, deployment_facts("m", None, 30, None, now, stores=stores))
    assert len(str(root.resolve())) > 200
    text = " ".join(render_record(read_record(engine, ControllerFacts(), now)).split())
    assert f"im Ordner `{root.resolve()}` (`--collections`): 1 Sammlung mit 1 Dokument" in text
    assert "Hochladen ausgeschaltet (ohne `--upload-max-mb`)" in text
    assert (
        f"Meldungen zum Modell (`--findings`): noch keine; die Datei `{tmp_path / 'neu.jsonl'}`"
    ) in text
    assert f"Meldungen zum Modell in `{earlier}` (von einem früheren Start): 0 Meldungen" in text

    record_deployment(engine, deployment_facts("m", None, 30, None, now))  # a start without
    text = " ".join(render_record(read_record(engine, ControllerFacts(), now), "en").split())
    assert "Document collections" not in text and "(`--findings`)" not in text
    assert f"Reports on the model in `{earlier}` (from an earlier start): 0 reports" in text
    assert "not stored (the log has no column for it) – except the request and answer" in text
