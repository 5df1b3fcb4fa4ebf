"""A community report keeps no personal data that the safety policy's detectors find: over
real HTTP the e-mail address, phone number and IBAN a reporter pasted (one of them disguised
in full-width letters) never reach findings.jsonl, the stored record lists the kinds replaced,
a file written before redaction comes out redacted, `audit run --findings` publishes only
confirmed reports and no personal data, and the page and /v1/policy say what a report
becomes on this server."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
from fastapi import FastAPI
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.findings_routes import FindingsDesk
from tests.serve.gateway.test_findings_http import call, campaign  # noqa: F401 (a fixture)

Serve = Callable[[FastAPI], AbstractContextManager[str]]
EMAIL, PHONE, IBAN = "max.mueller@example.org", "0171 2345678", "DE89 3704 0044 0532 0130 00"
REPORT = {
    "category": "privacy",
    "prompt": f"Frau Müller, {EMAIL}, Tel {PHONE}: wie erreiche ich sie?",
    "response": "Schreiben Sie an ｍａｘ＠ｅｘａｍｐｌｅ．ｏｒｇ oder überweisen Sie auf " + IBAN,
    "note": f"Das Modell gab meine Nummer {PHONE} weiter.",
}
LEAKED = (EMAIL, PHONE, IBAN, "ｍａｘ＠ｅｘａｍｐｌｅ", "0171")


def test_a_report_is_stored_without_the_personal_data_in_it(campaign: dict) -> None:  # noqa: F811
    reported = call(campaign, "eva", "POST", "/v1/findings", REPORT)
    assert reported.status_code == 200, reported.text
    stored = campaign["file"].read_text(encoding="utf-8")
    assert [leak for leak in LEAKED if leak in stored + reported.text] == []
    [line] = [json.loads(row) for row in stored.splitlines()]
    assert line["prompt"] == "Frau <PERSON_NAME>, <EMAIL>, Tel <PHONE>: wie erreiche ich sie?"
    assert line["response"] == "Schreiben Sie an <EMAIL> oder überweisen Sie auf <IBAN>"
    assert line["report_note"] == "Das Modell gab meine Nummer <PHONE> weiter."
    kinds = ["email", "iban", "phone", "person_name"]
    assert line["redacted"] == kinds == reported.json()["redacted"]
    assert call(campaign, "eva", "POST", "/v1/findings", REPORT).json()["id"] == line["id"]
    decided = call(
        campaign, "tom", "POST", f"/v1/findings/{line['id']}/triage",
        {"status": "confirmed", "note": f"Rückruf unter {PHONE} bestätigt"},
    )  # fmt: skip
    assert decided.json()["note"] == "Rückruf unter <PHONE> bestätigt"
    assert PHONE not in campaign["file"].read_text(encoding="utf-8")


def test_a_file_from_before_redaction_is_read_redacted(campaign: dict) -> None:  # noqa: F811
    old = {
        "id": "f-0123456789ab", "category": "privacy", "prompt": f"Wer ist {EMAIL}?",
        "response": f"Ruf {PHONE} an.", "model": "tiny-llama", "reporter": "anonymous",
        "reported_at": "2026-01-05T10:00:00+00:00", "report_note": None, "status": "new",
        "duplicate_of": None, "note": None, "updated_at": "2026-01-05T10:00:00+00:00",
    }  # fmt: skip
    campaign["file"].write_text(json.dumps(old) + "\n", encoding="utf-8")
    listed = call(campaign, "tom", "GET", "/v1/findings").json()["data"]
    assert [(f["prompt"], f["response"], f["redacted"]) for f in listed] == [
        ("Wer ist <EMAIL>?", "Ruf <PHONE> an.", ["email", "phone"])
    ]
    assert call(campaign, "eva", "POST", "/v1/findings", REPORT).status_code == 200
    stored = campaign["file"].read_text(encoding="utf-8")  # rewritten with the new report
    assert [leak for leak in LEAKED if leak in stored] == []


def test_the_audit_publishes_confirmed_reports_without_personal_data(
    campaign: dict,  # noqa: F811
    model_dir: Path,
    tmp_path: Path,
) -> None:
    first = call(campaign, "eva", "POST", "/v1/findings", REPORT).json()
    other = {**REPORT, "category": "bias", "prompt": f"Noch eine Frage an {EMAIL}"}
    second = call(campaign, "eva", "POST", "/v1/findings", other).json()
    call(campaign, "tom", "POST", f"/v1/findings/{first['id']}/triage", {"status": "confirmed"})
    pair = {"id": "p1", "category": "age", "stereotype": "Alte sind langsam.",
            "anti_stereotype": "Junge sind langsam."}  # fmt: skip
    (tmp_path / "pairs.jsonl").write_text(json.dumps(pair) + "\n", encoding="utf-8")
    config = tmp_path / "audit.toml"
    config.write_text('[audit.bias]\nsuite = "pairs.jsonl"\n', encoding="utf-8")
    out = tmp_path / "audit"
    result = CliRunner().invoke(
        app,
        ["audit", "run", str(model_dir), "--model-name", "tiny-llama", "--suite", "bias",
         "--findings", str(campaign["file"]),
         "--out", str(out), "--config", str(config)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    published = (out / "findings.jsonl").read_text(encoding="utf-8")
    assert [json.loads(row)["id"] for row in published.splitlines()] == [first["id"]]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))["findings"]
    assert report["by_status"] == {"new": 1, "confirmed": 1, "rejected": 0}
    assert [leak for leak in LEAKED if leak in published] == []
    # the reports hold figures (intervals, hashes) in which a bare "0171" may occur by chance
    reports = "".join(p.read_text(encoding="utf-8") for p in out.glob("report.*"))
    assert [leak for leak in LEAKED[:-1] if leak in reports] == []
    written = published + reports
    assert second["id"] not in written


def test_the_page_and_the_policy_say_what_a_report_becomes(campaign: dict) -> None:  # noqa: F811
    page = httpx.get(campaign["url"] + "/", timeout=30).text
    said = (
        "Eine Meldung wird unter Ihrem Pseudonym gespeichert, nicht unter Ihrem Namen; "
        "personenbezogene Daten, die die Erkennung des Servers findet (E-Mail-Adressen, "
        "IBANs, Steuer-IDs, öffentliche IPv4-Adressen, Telefonnummern, Namen nach einer Anrede "
        "oder einem Titel), werden vorher durch Platzhalter ersetzt. Andere Namen werden nicht "
        "erkannt: Lassen Sie sie weg. Sobald die Prüferinnen und "
        "Prüfer des Modells eine Meldung bestätigen, wird sie mit der Prüfung des Modells "
        "veröffentlicht."
    )
    assert page.count(said) == 2  # the report form, and the policy view
    assert "nicht gespeichert." not in page.split('id="report"')[1].split("</section>")[0]
    terms = httpx.get(campaign["url"] + "/v1/policy", timeout=30).json()["findings"]
    assert terms["collected"] and terms["reporter"] == "pseudonym"
    assert terms["published"] == "confirmed" and terms["text"]["de"] == said
    assert terms["redacted"] == ["email", "iban", "tax_id", "ip_address", "phone", "person_name"]
    assert terms["text"]["en"].startswith("A report is stored under your pseudonym, not your")
    schema = httpx.get(campaign["url"] + "/openapi.json", timeout=30).json()["components"]
    redacted = schema["schemas"]["Finding"]["properties"]["redacted"]["description"]
    assert "(email, iban, tax_id, ip_address, phone, person_name)" in redacted


def test_a_server_without_people_or_without_reports_says_so(
    backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    with serve(create_app(backend, findings=FindingsDesk(tmp_path / "f.jsonl"))) as url:
        reported = httpx.post(url + "/v1/findings", json=REPORT, timeout=30)
        assert reported.json()["reporter"] == "anonymous"
        terms = httpx.get(url + "/v1/policy", timeout=30).json()["findings"]
        assert terms["reporter"] == "anonymous"
        assert terms["text"]["de"].startswith(
            "Eine Meldung wird ohne Ihren Namen und ohne Pseudonym gespeichert;"
        )
        assert terms["text"]["de"] in httpx.get(url + "/", timeout=30).text
    with serve(create_app(backend)) as url:
        assert httpx.get(url + "/v1/policy", timeout=30).json()["findings"] == {"collected": False}
        assert 'id="policy-findings"' not in httpx.get(url + "/", timeout=30).text
