"""An empty path on the command line ("" from a script's unset variable) is refused in words:
typer made it `Path(".")`, so `assist tender ""` said the current folder was no file, and
`rag ingest NAME ""` ingested whatever lay in the current folder (`data curate "" --out D`
curated it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import invoke

SAID = "der Pfad ist leer; nennen Sie eine Datei oder einen Ordner"


@pytest.fixture
def a_folder_with_a_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder, holding a document that an empty path must not reach."""
    (tmp_path / "vermerk.txt").write_text("Die Frist endet am 31. März.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "arguments",
    [
        ("rag", "ingest", "amt", ""),
        ("rag", "ingest", "amt", "vermerk.txt", ""),
        ("rag", "ingest", "amt", "vermerk.txt", "--root", ""),
        ("rag", "eval", "amt", ""),
        ("assist", "tender", ""),
        ("assist", "tender", "vermerk.txt", "--rules", ""),
        ("data", "curate", "", "--out", "kuratiert"),
        ("verify", ""),
        ("openness", "rate", ""),
        ("reproduce", "", "--workspace", "neu"),
        ("audit", "findings", "merge", "", "--out", "alle.jsonl"),
        ("model", "finetune", "", "--data", "vermerk.txt", "--out", "feinjustiert"),
        ("build", "", "--workspace", "arbeit"),
    ],
)
def test_an_empty_path_is_refused_and_nothing_is_done(
    a_folder_with_a_document: Path, arguments: tuple[str, ...]
) -> None:
    result = invoke(*arguments)
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.replace("│", " ").split())
    assert SAID in said, said
    assert "gibt es nicht" not in said and "Traceback" not in said
    assert sorted(p.name for p in a_folder_with_a_document.iterdir()) == ["vermerk.txt"]


def test_the_refusal_is_in_english_with_lang_en(a_folder_with_a_document: Path) -> None:
    result = invoke("--lang", "en", "assist", "tender", "")
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.replace("│", " ").split())
    assert "the path is empty; name a file or folder" in said, said


@pytest.mark.parametrize(
    "arguments",
    [
        ("rag", "ingest", "amt", "vermerk.txt", "--embed", ""),
        ("data", "fetch", "", "--out", "geholt"),
    ],
)
def test_an_empty_folder_or_url_is_refused_and_nothing_is_done(
    a_folder_with_a_document: Path, arguments: tuple[str, ...]
) -> None:
    """`--embed ""` made a collection without vectors, as if no embedder were asked for, and
    `data fetch ""` fetched the current folder as a git repository."""
    result = invoke(*arguments)
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.replace("│", " ").split())
    assert "der Wert ist leer; nennen Sie einen Ordner oder eine URL" in said, said
    assert sorted(p.name for p in a_folder_with_a_document.iterdir()) == ["vermerk.txt"]
