"""`rag ingest` says its rules and hints so they can be followed: the collection name's rule
names ASCII letters (Ä is a letter, yet refused: the name is a folder's), a suggested
`rag remove` is shell-quoted (`akten/a b.txt` pasted was two arguments), and a file whose name
holds a line break is skipped with its reason instead of becoming a key that `rag list`
printed across two lines."""

from __future__ import annotations

import shlex
from pathlib import Path

from tests.test_cli import invoke

TEXT = "Die Gebühr für den Bewohnerparkausweis beträgt 30 Euro im Jahr.\n"


def test_a_name_with_an_umlaut_is_refused_naming_ascii_letters(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    result = invoke("rag", "ingest", "Ämter", tmp_path / "a.txt", "--root", tmp_path / "c")
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert "ASCII-Buchstaben (a–z, A–Z, keine Umlaute)" in said, said


def test_the_remove_command_suggested_for_a_duplicate_is_shell_quoted(tmp_path: Path) -> None:
    folder = tmp_path / "akten"
    folder.mkdir()
    (folder / "a b.txt").write_text(TEXT, encoding="utf-8")
    root = tmp_path / "c"
    assert invoke("rag", "ingest", "akten", folder, "--root", root).exit_code == 0
    copy = tmp_path / "kopie.txt"
    copy.write_text(TEXT, encoding="utf-8")
    again = invoke("rag", "ingest", "akten", copy, "--root", root)
    assert again.exit_code == 1, again.output
    said = " ".join(again.output.split())
    assert "zuerst: gemeingut rag remove akten 'akten/a b.txt'" in said, said
    assert shlex.split("gemeingut rag remove akten 'akten/a b.txt'")[-1] == "akten/a b.txt"


def test_a_file_name_with_a_line_break_is_skipped_with_its_reason(tmp_path: Path) -> None:
    folder = tmp_path / "akten"
    folder.mkdir()
    (folder / "gut.txt").write_text(TEXT, encoding="utf-8")
    (folder / "zwei\nzeilen.txt").write_text(TEXT.replace("30", "40"), encoding="utf-8")
    root = tmp_path / "c"
    result = invoke("rag", "ingest", "akten", folder, "--root", root)
    assert result.exit_code == 1, result.output  # a file skipped, as an unreadable one
    said = " ".join(result.output.split())
    assert "zwei\\nzeilen.txt: sein Name enthält Steuerzeichen" in said, said
    listed = invoke("rag", "list", "akten", "--root", root)
    assert "akten/gut.txt" in listed.output and "zeilen" not in listed.output, listed.output
