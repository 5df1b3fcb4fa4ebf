"""`gemeingut admin content export/delete` for a person of whom nothing is logged said
"0 protokollierte Anfragen von anna exportiert": a count where a person expects words. It says
that nothing is logged, and what therefore happened (nothing exported, nothing erased), in
German and in English; the export itself is still an empty JSONL file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.identity import add_user
from gemeingut.serve.gateway.store import open_store

runner = CliRunner()


def _said(db: Path, lang: str, *args: str) -> str:
    result = runner.invoke(app, ["--lang", lang, "admin", "content", *args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "gateway.db"
    add_user(open_store(str(path)), "anna")
    return path


def test_an_export_of_nothing_says_so_in_words(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "anna.jsonl"
    said = _said(db, "de", "export", "--user", "anna", "--out", str(out))
    # then whether content is logged at all (test_admin_content_export_empty.py)
    assert said.startswith("✓ von anna ist keine Anfrage protokolliert: nichts exportiert •"), said
    assert out.read_text(encoding="utf-8") == ""
    english = _said(db, "en", "export", "--user", "anna", "--out", str(out))
    assert english.startswith("✓ no request of anna is logged: nothing exported •"), english


def test_an_erasure_of_nothing_says_so_in_words(db: Path) -> None:
    said = _said(db, "de", "delete", "--user", "anna", "--yes")
    assert said == "✓ von anna ist keine Anfrage protokolliert: nichts gelöscht", said
    assert "0" not in said
    english = _said(db, "en", "delete", "--user", "anna", "--yes")
    assert english == "✓ no request of anna is logged: nothing erased", english
