"""`openness rate` says of a path that does not exist that it does not exist, as `verify`
does; before, it said "ist kein Ordner", as of a file where a folder belongs."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import invoke


def test_a_missing_path_is_said_not_to_exist_by_rate_and_verify(tmp_path: Path) -> None:
    missing = tmp_path / "fehlt"
    for command in (("openness", "rate"), ("verify",)):
        result = invoke(*command, missing)
        assert result.exit_code == 2, result.output
        assert f"Fehler: {missing} existiert nicht" in result.stderr, result.stderr
    folder = tmp_path / "modell"
    folder.mkdir()
    base = invoke("openness", "rate", folder, "--base", missing)
    assert f"--base {missing} existiert nicht" in base.stderr, base.stderr
    file = tmp_path / "datei.txt"
    file.write_text("kein Ordner", encoding="utf-8")
    assert "ist kein Ordner" in invoke("openness", "rate", file).stderr  # as before
