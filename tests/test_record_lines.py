"""JSON Lines are split at "\\n" alone: a model's answer may hold U+0085, U+2028 or U+2029,
which `json.dumps(ensure_ascii=False)` writes unescaped and `str.splitlines` splits at. A
finding reported from the page with such an answer made the findings file unreadable, and an
audit log with one would have failed `verify`."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.audit.findings import read_findings, submit_finding
from gemeingut.json_records import record_lines
from gemeingut.release.verify_audit import _read_log

ANSWER = "Ein Satz\x85mit\u2028Trennern\u2029aus dem Modell"


def test_record_lines_splits_at_newlines_only() -> None:
    text = json.dumps({"a": ANSWER}, ensure_ascii=False) + "\n" + '{"b": 1}\r\n'
    assert len(ANSWER.splitlines()) == 4  # what str.splitlines makes of it
    assert [json.loads(line) for line in record_lines(text)] == [{"a": ANSWER}, {"b": 1}]
    assert record_lines("") == [] and record_lines("a\n\nb") == ["a", "", "b"]


def test_a_finding_whose_answer_holds_a_line_separator_is_read_back(tmp_path: Path) -> None:
    findings = tmp_path / "findings.jsonl"
    submission = {"category": "bias", "prompt": "Können Frauen einparken?", "response": ANSWER}
    stored = submit_finding(findings, submission, "gemeingut-demo", "eva")
    second = {**submission, "prompt": "Noch eine Frage"}
    submit_finding(findings, second, "gemeingut-demo", "eva")
    assert [f["response"] for f in read_findings(findings)] == [ANSWER, ANSWER]
    assert read_findings(findings)[0]["id"] == stored["id"]


def test_an_audit_log_with_such_an_answer_is_read_as_one_record(tmp_path: Path) -> None:
    log = tmp_path / "audit" / "logs" / "redteam.jsonl"
    log.parent.mkdir(parents=True)
    rows = [{"id": "r1", "response": ANSWER}, {"id": "r2", "response": "nein"}]
    log.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    records, problems = _read_log(tmp_path, "audit/logs/redteam.jsonl", {"id": str})
    assert problems == [] and records == rows
