"""The record's sentences on the findings file and the uploads say what the server does: a name
after a form of address or a title is replaced in a report ("Frau Dr. <PERSON_NAME>"), so it
is the *other* names that no detector finds (it said "Namen erkennt kein Detektor" right after
listing names among the kinds replaced); and the largest upload is counted in MiB, as the page
says it and `--upload-max-mb` takes it (the record said "5 MB")."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from gemeingut.apps.rag.index import ingest
from gemeingut.audit.findings import read_findings, submit_finding
from gemeingut.serve.gateway.records import (
    ControllerFacts,
    Stored,
    deployment_facts,
    read_record,
    record_deployment,
)
from gemeingut.serve.gateway.records_text import render_record
from gemeingut.serve.gateway.store import open_store

MIB = 1024 * 1024
REPORT = {
    "category": "privacy",
    "prompt": "Wer leitet das Bauamt?",
    "response": "Das Bauamt leitet Frau Dr. Berg, erreichbar unter berg@amt.example.",
}


def test_the_record_says_which_names_stay_and_the_upload_limit_in_mib(tmp_path: Path) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "regel.txt").write_text("Anträge bis März.", encoding="utf-8")
    root = tmp_path / "sammlungen"
    ingest(root, "amt", [tmp_path / "a"], groups=["amt"])
    findings = tmp_path / "befunde.jsonl"
    submit_finding(findings, REPORT, "tiny", "p-1234")
    [stored] = read_findings(findings)
    assert "Frau Dr. <PERSON_NAME>" in stored["response"]  # what the record must not deny

    now = datetime(2026, 12, 7, 9, 0)
    stores = Stored(root, 5 * MIB, findings, "triage")
    record_deployment(engine, deployment_facts("tiny", None, 30, None, now, stores=stores))
    record = read_record(engine, ControllerFacts(), now)
    german = " ".join(render_record(record).split())
    english = " ".join(render_record(record, "en").split())

    assert "Namen nach einer Anrede oder einem Titel" in german
    assert "ersetzt; andere Namen erkennt kein Detektor." in german
    assert "names after a form of address or a title" in english
    assert "stored; other names are recognised by no detector." in english
    assert "Dateien bis 5 MiB hinzu" in german and " MB " not in german
    assert "files of up to 5 MiB to it" in english and " MB " not in english
