"""A command's result goes to stdout, its progress, warnings and errors to stderr: a clerk's
`gemeingut assist tender x.txt > bericht.txt` left the file empty (every finding, and „✓ keine
Befunde", went to stderr), and so did `rag query … > treffer.txt`. And an ingest that reads
none of its files says so (✗) and names each file and why, not „✓ test: 0 neu …" with an empty
collection left behind."""

from __future__ import annotations

from pathlib import Path

from gemeingut.apps.rag.index import list_collections
from tests.apps.assistants.test_tender import CLEAN
from tests.test_cli import invoke

TEXT = "Die Gebühr für den Bewohnerparkausweis beträgt 30 Euro im Jahr.\n"
TENDER = "Geliefert werden 120 Notebooks vom Typ Lenovo ThinkPad T14.\n"


def test_tender_findings_and_no_findings_are_on_stdout(tmp_path: Path) -> None:
    draft = tmp_path / "entwurf.txt"
    draft.write_text(TENDER, encoding="utf-8")
    found = invoke("assist", "tender", draft)
    assert "Lenovo" in found.stdout and "Lenovo" not in found.stderr, found.output
    clean = tmp_path / "gut.txt"
    clean.write_text("\n\n".join(CLEAN), encoding="utf-8")
    none = invoke("assist", "tender", clean)
    assert none.exit_code == 0 and "✓ keine Befunde" in none.stdout, none.output


def test_ingest_list_groups_and_query_results_are_on_stdout(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    root = tmp_path / "c"
    ingested = invoke("rag", "ingest", "akten", tmp_path / "a.txt", "--root", root)
    assert ingested.exit_code == 0, ingested.output
    assert "✓ akten:" in ingested.stdout, ingested.output
    found = invoke("rag", "query", "akten", "Bewohnerparkausweis", "--mode", "bm25", "--root", root)
    assert found.exit_code == 0, found.output
    assert "[1] " in found.stdout and "30 Euro" in found.stdout, found.output
    assert "30 Euro" not in found.stderr
    listed = invoke("rag", "list", "akten", "--root", root)
    assert "akten: " in listed.stdout and "a.txt" in listed.stdout, listed.output
    groups = invoke("rag", "groups", "akten", "--add", "amt", "--root", root)
    assert "amt" in groups.stdout, groups.output


def test_an_ingest_that_takes_no_file_says_so_and_leaves_no_collection(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "programm.pdf").write_bytes(b"MZ\x90\x00\x03\x00\x00\x00" * 64)  # a renamed .exe
    (bad / "leer.txt").write_text("", encoding="utf-8")
    root = tmp_path / "c"
    result = invoke("rag", "ingest", "test", bad, "--root", root)
    assert result.exit_code == 1, result.output
    said = " ".join(result.stderr.split())
    assert "✓" not in result.output and "Textabschnitte insgesamt" not in result.output, said
    assert "✗ test: keine der Dateien wurde aufgenommen; die Sammlung wurde nicht angelegt" in said
    assert "programm.pdf: die Datei ist beschädigt oder keine PDF-Datei" in said, said
    assert "leer.txt" in said and "Traceback" not in result.output
    assert "PdfStreamError" not in result.output and "Stream has ended" not in result.output
    assert not (root / "test").exists() and list_collections(root) == []
    # an existing collection: said the same, and kept as it was
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    assert invoke("rag", "ingest", "test", tmp_path / "a.txt", "--root", root).exit_code == 0
    record = root / "test" / "collection.json"
    before = record.read_bytes(), sorted(p.name for p in (root / "test").iterdir())
    again = invoke("rag", "ingest", "test", bad, "--root", root)
    assert again.exit_code == 1 and "✓" not in again.output, again.output
    assert "die Sammlung ist unverändert" in " ".join(again.stderr.split()), again.output
    assert (record.read_bytes(), sorted(p.name for p in (root / "test").iterdir())) == before
    assert list_collections(root) == ["test"]
