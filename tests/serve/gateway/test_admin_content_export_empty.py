"""`gemeingut admin content export` that finds nothing of a person writes a valid, empty JSON
Lines file (a script reads zero lines) and says why there may be nothing: whether this
database's servers log content at all, and for how many days. Before, it said only that
nothing of the person is logged, which reads the same whether logging is off or the person
never asked."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.identity import add_user
from gemeingut.serve.gateway.retention import CONTENT_DAYS, set_retention
from gemeingut.serve.gateway.store import open_store

runner = CliRunner()


def _export(db: Path, lang: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app, ["--lang", lang, "admin", "content", "export", "--db", str(db), *args]
    )
    return result.exit_code, " ".join(result.output.split())


def test_an_empty_export_says_whether_content_is_logged_at_all(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    add_user(engine, "anna")
    out = tmp_path / "anna.jsonl"
    code, said = _export(db, "en", "--user", "anna", "--out", str(out))
    assert code == 0, said
    assert said == (
        "✓ no request of anna is logged: nothing exported • content logging of every server "
        "of this database: off (no content is logged)"
    )
    assert out.read_text(encoding="utf-8") == ""  # valid JSON Lines: no record
    set_retention(engine, CONTENT_DAYS, 30)
    code, said = _export(db, "de", "--user", "anna", "--out", str(out))
    assert code == 0, said
    assert said.endswith("• Protokollierung der Inhalte aller Server dieser Datenbank: 30 Tage"), (
        said
    )
