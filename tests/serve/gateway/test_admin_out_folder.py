"""`--out` of the admin commands names a file in a folder that exists: a mistyped folder is
refused (as a mistyped database folder is), in German, with exit code 2, before anything is
read, written or put on record, and no folder is created."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.identity import add_user
from gemeingut.serve.gateway.store import open_store

runner = CliRunner()


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (["audit", "export", "--since", "30d"], "a.csv"),
        (["content", "export", "--user", "anna"], "a.jsonl"),
        (["audit", "records"], "a.md"),
    ],
    ids=["audit-export", "content-export", "audit-records"],
)
def test_an_out_file_in_a_missing_folder_is_refused_and_nothing_is_made(
    tmp_path: Path, command: list[str], name: str
) -> None:
    db = tmp_path / "gateway.db"
    add_user(open_store(str(db)), "anna")
    before = len(list(export(open_store(str(db)))))
    missing = tmp_path / "nonexist"
    out = missing / name
    result = runner.invoke(app, ["admin", *command, "--db", str(db), "--out", str(out)])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert f"der Ordner {missing} existiert nicht" in said
    assert f"mkdir -p {missing}" in said
    assert not missing.exists()
    assert len(list(export(open_store(str(db))))) == before  # no reading put on record


def test_an_out_that_is_a_folder_is_refused_before_the_export(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    add_user(open_store(str(db)), "anna")
    result = runner.invoke(
        app, ["admin", "audit", "export", "--db", str(db), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2, result.output
    assert "ist ein Ordner" in result.output
    assert list(export(open_store(str(db)))) == []  # the refused export is not on record


def test_an_out_file_in_an_existing_folder_is_written_private(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    add_user(open_store(str(db)), "anna")
    out = tmp_path / "a.csv"
    result = runner.invoke(app, ["admin", "audit", "export", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("at,request_id,")
    assert out.stat().st_mode & 0o777 == 0o600
