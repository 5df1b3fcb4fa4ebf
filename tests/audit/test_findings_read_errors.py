"""A findings file that cannot be read is said in the reader's words, with the line to mend.

Python's own words ("Expecting ',' delimiter", "'utf-8' codec can't decode byte 0xfc in
position 57") stood inside the German sentence, and a file that is not UTF-8 named no line,
though `admin users remove` asks to mend that line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.audit.findings import read_findings
from gemeingut.errors import InputError
from gemeingut.i18n import text

ROW = {"category": "bias", "prompt": "Frage", "response": "Antwort"}


def _refusal(path: Path) -> str:
    with pytest.raises(InputError) as refused:
        read_findings(path)
    return f"{text(refused.value.message, 'de')} ({text(refused.value.hint, 'de')})"


def test_a_byte_that_is_no_utf8_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "befunde.jsonl"
    second = json.dumps(ROW | {"prompt": "M\u00fcll"}, ensure_ascii=False).encode("latin-1")
    path.write_bytes(json.dumps(ROW).encode() + b"\n" + second + b"\n")
    said = _refusal(path)
    assert said.startswith(f"{path}:2 lässt sich nicht lesen: kein UTF-8-Text (Byte "), said
    assert "codec" not in said and "position" not in said
    assert said.endswith("(speichern Sie sie als UTF-8)"), said


def test_broken_json_is_said_in_german_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "befunde.jsonl"
    path.write_text('{"category": "bias" "prompt": "x"}\n', encoding="utf-8")
    said = _refusal(path)
    assert said.startswith(f"{path}:1: kein gültiges JSON (ein Komma fehlt)"), said
    assert "Expecting" not in said


def test_missing_fields_are_named_as_words_not_as_a_python_list(tmp_path: Path) -> None:
    path = tmp_path / "befunde.jsonl"
    path.write_text(json.dumps(ROW) + "\n", encoding="utf-8")  # a submission, not a finding
    said = _refusal(path)
    assert "['" not in said and "reporter, reported_at, status" in said, said
