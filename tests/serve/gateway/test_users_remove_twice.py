"""`gemeingut admin users remove` erases the person's reports before and again after their row
goes: a report the server stored between the first erasure and the deletion (the person still
had their keys) is erased too. Before, it erased once, first, and such a report kept the
pseudonym for ever (nobody can make it from the name once the person is gone).

The report arrives exactly in between, without timing: the real database tells (SQLAlchemy's
cursor event) when the command deletes the person's row, and the report is stored then, as the
server stores one (`submit_finding` with the person's pseudonym)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, event
from typer.testing import CliRunner

from gemeingut.audit.findings import read_findings, submit_finding
from gemeingut.cli import app
from gemeingut.cli.admin.safeguards import person_pseudonym
from gemeingut.serve.findings_files import remember_findings_file
from gemeingut.serve.gateway.identity import add_user
from gemeingut.serve.gateway.store import open_store


def found(prompt: str) -> dict[str, str]:
    return {"category": "bias", "prompt": prompt, "response": "Ja."}


def test_a_report_stored_while_the_person_is_removed_is_erased_too(tmp_path: Path) -> None:
    db, findings = tmp_path / "gateway.db", tmp_path / "findings.jsonl"
    engine = open_store(str(db))
    add_user(engine, "anna")
    pseudonym = person_pseudonym(engine, "anna")
    remember_findings_file(engine, findings)
    submit_finding(findings, found("Sind Alte langsam?"), "tiny-llama", pseudonym)
    meanwhile: list[dict] = []

    def store_a_report(_conn, _cursor, statement: str, *_rest) -> None:
        if statement.startswith("DELETE FROM users") and not meanwhile:
            report = found("Ist Berlin groß?")
            meanwhile.append(submit_finding(findings, report, "tiny-llama", pseudonym))

    event.listen(Engine, "before_cursor_execute", store_a_report)
    try:
        removed = CliRunner().invoke(
            app, ["admin", "users", "remove", "anna", "--yes", "--db", str(db)]
        )
    finally:
        event.remove(Engine, "before_cursor_execute", store_a_report)
    assert removed.exit_code == 0, removed.output
    assert len(meanwhile) == 1  # the report did arrive between the two erasures
    assert read_findings(findings) == []
    assert "Meldungen der Person: 2 noch nicht bestätigte entfernt" in removed.output
