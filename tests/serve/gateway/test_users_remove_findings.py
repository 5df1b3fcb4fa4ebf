"""`gemeingut admin users remove` (Art. 17) erases the person's community reports too, found
through the database in the findings file the server stored them in: those not confirmed go,
a confirmed one stays without the pseudonym, and the output and the admin record say how many.
A real server on loopback takes the reports; the real CLI removes the person."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.audit.findings import read_findings
from gemeingut.cli import app
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.identity import add_user, create_key
from tests.serve.gateway.test_findings_http import call, campaign  # noqa: F401 (a fixture)

runner = CliRunner()


def report(site: dict, user: str, prompt: str, category: str = "bias") -> dict:
    found = {"category": category, "prompt": prompt, "response": "Ja."}
    answered = call(site, user, "POST", "/v1/findings", found)
    assert answered.status_code == 200, answered.text
    return answered.json()


def test_removing_a_person_erases_their_reports(campaign: dict) -> None:  # noqa: F811
    engine = campaign["gateway"].engine
    add_user(engine, "anna")
    campaign["keys"]["anna"] = create_key(engine, "anna")[1]
    confirmed = report(campaign, "anna", "Sind Frauen schlechtere Ingenieure?")
    unchecked = report(campaign, "anna", "Sind Alte langsam?")
    rejected = report(campaign, "anna", "Ist Berlin groß?", "wrong")
    repeat = report(campaign, "eva", "sind alte  langsam?")  # a repeat of anna's unchecked one
    assert repeat["duplicate_of"] == unchecked["id"]
    for finding, status in ((confirmed, "confirmed"), (rejected, "rejected")):
        path = f"/v1/findings/{finding['id']}/triage"
        assert call(campaign, "tom", "POST", path, {"status": status}).status_code == 200
    db = str(tmp_db(campaign))
    removed = runner.invoke(app, ["admin", "users", "remove", "anna", "--yes", "--db", db])
    assert removed.exit_code == 0, removed.output
    assert (
        "Meldungen der Person: 2 noch nicht bestätigte entfernt, 1 bestätigte ohne das "
        "Pseudonym behalten" in removed.output
    )
    left = {f["id"]: f for f in read_findings(campaign["file"])}
    assert set(left) == {confirmed["id"], repeat["id"]}
    kept = left[confirmed["id"]]
    assert kept["reporter"] == "anonymous" and kept["status"] == "confirmed"
    assert kept["prompt"] == "Sind Frauen schlechtere Ingenieure?"
    assert kept["updated_at"] > confirmed["updated_at"]  # a merge with an old copy keeps this
    assert left[repeat["id"]]["duplicate_of"] is None  # its original is gone
    assert left[repeat["id"]]["reporter"] == repeat["reporter"]  # eva's report is eva's
    assert confirmed["reporter"] not in campaign["file"].read_text(encoding="utf-8")
    [record] = [r for r in export(engine) if r["route"] == "admin:users-remove"]
    assert record["decision"].endswith(",reports=2,anonymised=1")
    again = runner.invoke(app, ["admin", "users", "remove", "eva", "--yes", "--db", db])
    assert "Meldungen der Person: 1 noch nicht bestätigte entfernt" in again.output
    lines = campaign["file"].read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [confirmed["id"]]


def test_a_person_without_reports_and_a_moved_file_are_said(campaign: dict) -> None:  # noqa: F811
    report(campaign, "eva", "Sind Alte langsam?")  # the server remembers its file
    moved = campaign["file"].with_name("moved.jsonl")
    campaign["file"].rename(moved)
    db = str(tmp_db(campaign))
    removed = runner.invoke(app, ["admin", "users", "remove", "tom", "--yes", "--db", db])
    assert removed.exit_code == 0, removed.output
    assert "keine Meldungen der Person in den Befund-Dateien" in removed.output
    assert f"die Befund-Datei {campaign['file']} existiert nicht mehr" in removed.output
    assert len(read_findings(moved)) == 1


def tmp_db(site: dict) -> Path:
    """The campaign server's SQLite file, which the CLI opens beside the running server."""
    return Path(site["gateway"].engine.url.database)
