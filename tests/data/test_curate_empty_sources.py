"""Sources that hold no document (an empty JSONL file, an empty folder, a folder of files no
reader takes) are refused before a dataset is written: it said „gebaut“, then that each of 0
documents was excluded, left the empty dataset behind, and told to give licences or loosen
filters, which cannot help where nothing was read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import invoke


@pytest.mark.parametrize("kind", ["file", "folder", "both"])
def test_empty_sources_are_refused_naming_each_and_what_it_is(tmp_path: Path, kind: str) -> None:
    empty_file = tmp_path / "empty.jsonl"
    empty_file.write_text("\n", "utf-8")  # a blank line is no document either
    folder = tmp_path / "ordner"
    folder.mkdir()
    (folder / "daten.jsonl").write_text('{"text": "im Ordner nicht gelesen"}\n', "utf-8")
    inputs = {"file": [empty_file], "folder": [folder], "both": [empty_file, folder]}[kind]
    out = tmp_path / "e1"
    result = invoke("data", "curate", *inputs, "--out", out, "--license", "CC0-1.0")
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert "gebaut" not in said and "Traceback" not in result.output
    assert "Lizenz" not in said and "Filter" not in said  # not the hint for excluded documents
    assert "Quellen, die Dokumente enthalten" in said
    if kind in ("file", "both"):
        assert f"„empty“ ({empty_file}: eine JSONL-Datei ohne JSON-Zeile)" in said
    if kind in ("folder", "both"):
        assert (  # the suffixes the folder reader takes, .htm too
            "ein Ordner ohne gelesene Datei (gelesen werden nur .txt, .md, .html, .htm); "
            "nicht gelesen: 1 × .jsonl" in said
        ), said
    assert not out.exists() and not list(tmp_path.glob(".e1*"))  # nothing half-made left


def test_the_refusal_reads_in_english_too(tmp_path: Path) -> None:
    folder = tmp_path / "leer"
    folder.mkdir()
    result = invoke("--lang", "en", "data", "curate", folder, "--out", tmp_path / "e2")
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    refused = f"error: the source holds no documents: 'leer' ({folder}: a folder with no file read"
    assert refused in said
    assert not (tmp_path / "e2").exists()
