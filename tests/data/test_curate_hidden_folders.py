"""A source folder that is a git checkout (or holds an editor's or an environment's hidden
folder): the reader does not enter its hidden folders, not even for a Markdown file there,
and the run says how many files each held, in one sentence, instead of listing a `.git`'s
thousands of objects by suffix among the files not read. A commit to the `.git` is no new
corpus: the dataset is reused."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.data.readers import unread_files
from tests.corpus import open_documents
from tests.data.test_curate_source_notes import curated_folder
from tests.test_cli import invoke


def _checkout(root: Path) -> Path:
    """Two Markdown documents and a PDF, beside a `.git` of three files (one of them Markdown)
    and an editor's `docs/.obsidian`."""
    folder = root / "gesetze"
    (folder / "docs" / ".obsidian").mkdir(parents=True)
    for i, doc in enumerate(open_documents(2, seed=3, prefix="gesetz")):
        (folder / ("docs" if i else "") / f"g{i}.md").write_text(doc["text"], "utf-8")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4\n")
    (folder / ".git" / "objects" / "ab").mkdir(parents=True)
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n", "utf-8")
    (folder / ".git" / "objects" / "ab" / "cdef0123").write_bytes(b"x\x9c")
    (folder / ".git" / "description.md").write_text("Unnamed repository.\n", "utf-8")
    (folder / "docs" / ".obsidian" / "workspace.json").write_text("{}", "utf-8")
    return folder


def test_hidden_folders_are_not_read_and_said_apart(tmp_path: Path) -> None:
    folder = _checkout(tmp_path)
    unread = unread_files(folder)
    assert unread.suffixes == {".pdf": 1}, unread
    assert unread.hidden == {".git": 3, "docs/.obsidian": 1}, unread
    said = curated_folder(tmp_path, folder)
    assert "Quelle „gesetze“: 1 Datei nicht gelesen" in said and "1 × .pdf" in said, said
    assert (
        "Quelle „gesetze“: 4 Dateien in versteckten Ordnern nicht gelesen "
        "(.git: 3, docs/.obsidian: 1)" in said
    ), said
    stats = json.loads((tmp_path / "ds" / "stats.json").read_text("utf-8"))
    assert stats["documents_in"] == 2, stats  # not .git/description.md
    assert stats["unread_files"] == {"gesetze": {".pdf": 1}}
    assert stats["hidden_folders"] == {"gesetze": {".git": 3, "docs/.obsidian": 1}}
    (folder / ".git" / "description.md").write_text("Gesetze des Landes.\n", "utf-8")
    (folder / ".git" / "objects" / "ab" / "cdef0124").write_bytes(b"x\x9c")
    said = curated_folder(tmp_path, folder, "--lang", "en")
    assert "reused" in said or "wiederverwendet" in said, said
    assert "source 'gesetze': 4 files in hidden folders not read (.git: 3, docs/.obsidian: 1)" in (
        said
    ), said  # the reused curation's, as its stats.json keeps them


def test_a_source_of_hidden_files_only_is_refused_saying_where_they_are(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    (folder / ".git").mkdir(parents=True)
    (folder / ".git" / "README.md").write_text("Nur Metadaten.\n", "utf-8")
    result = invoke("--lang", "en", "data", "curate", folder, "--out", tmp_path / "ds")
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, result.output
    assert (
        "a folder with no file read (only .txt, .md, .html, .htm are); not read, in hidden "
        "folders: .git" in said
    ), said
    assert not (tmp_path / "ds").exists()
