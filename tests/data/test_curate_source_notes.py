"""`data curate` says what would otherwise pass unseen: documents without a licence of their
own that took their source's (`--license`, a recipe source's `license`), files of a folder no
reader takes, a source that held nothing, and the licence a misspelt one means."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.data.curate import curate
from gemeingut.recipe import DataSection, SourceSpec
from tests.corpus import WITHOUT_QUALITY_FILTERS, open_documents, write_jsonl
from tests.test_cli import invoke

NO_FILTERS = """[filters]
language = false
gopher_quality = false
gopher_repetition = false
fineweb_quality = false
"""


def _sources(root: Path) -> tuple[Path, Path]:
    """A JSONL file (two documents with a licence, one without, two misspelt) and a folder of
    two Markdown files beside a JSONL file and a PDF that the folder reader does not take."""
    docs = open_documents(5, prefix="land")
    del docs[1]["license"]
    docs[2]["license"] = "DL-DE-BY2.0"
    docs[3]["license"] = "CC-BY-4,0"
    jsonl = write_jsonl(root / "land.jsonl", docs)
    folder = root / "gesetze"
    folder.mkdir()
    for i, doc in enumerate(open_documents(2, seed=3, prefix="gesetz")):
        (folder / f"g{i}.md").write_text(doc["text"], "utf-8")
    write_jsonl(folder / "mehr.jsonl", open_documents(1, seed=5))
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4\n")
    return jsonl, folder


def test_the_summary_says_what_the_source_licence_covered_and_what_was_not_read(
    tmp_path: Path,
) -> None:
    jsonl, folder = _sources(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(NO_FILTERS, "utf-8")
    licence = "LicenseRef-German-Official-Work"
    out = tmp_path / "ds"
    empty = write_jsonl(tmp_path / "leer.jsonl", [])
    args = ("data", "curate", folder, jsonl, empty, "--out", out, "--license", licence, "--config")
    result = invoke(*args, config)
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert (
        "2 Dokumente ohne eigene Lizenz erhielten die Lizenz der Quelle „gesetze“: "
        "LicenseRef-German-Official-Work" in said
    )
    assert (
        "1 Dokument ohne eigene Lizenz erhielt die Lizenz der Quelle „land-1“: "
        "LicenseRef-German-Official-Work" in said
    )
    assert "Quelle „gesetze“: 2 Dateien nicht gelesen" in said and "1 × .jsonl, 1 × .pdf" in said
    assert "(gelesen werden nur .txt, .md, .html, .htm)" in said  # as the reader takes them
    assert (
        "1 Dokument mit der Lizenz „DL-DE-BY2.0“ wurde ausgeschlossen: meinten Sie DL-DE-BY-2.0?"
        in (said)
    )
    assert "1 Dokument mit der Lizenz „CC-BY-4,0“ wurde ausgeschlossen: meinten Sie CC-BY-4.0?" in (
        said
    )
    assert "Quelle „leer-2“ enthält keine Dokumente" in said
    stats = json.loads((out / "stats.json").read_text("utf-8"))
    assert stats["licence_from_source"] == {"gesetze": {licence: 2}, "land-1": {licence: 1}}
    assert stats["unread_files"] == {"gesetze": {".jsonl": 1, ".pdf": 1}}
    english = invoke("--lang", "en", *args, config)
    assert english.exit_code == 0, english.output
    said = " ".join(english.stderr.split())
    assert "1 document without a licence of its own was given the licence of source 'land-1'" in (
        said
    )
    assert "1 document with the licence 'DL-DE-BY2.0' was excluded: did you mean DL-DE-BY-2.0?" in (
        said
    )


def test_a_recipe_source_licence_is_counted_the_same_way(tmp_path: Path) -> None:
    jsonl, folder = _sources(tmp_path)
    licence = "CC0-1.0"
    section = DataSection(
        sources=[
            SourceSpec(name="land", path=jsonl, license=licence),
            SourceSpec(name="gesetze", path=folder, license=licence),
            SourceSpec(name="ohne", path=write_jsonl(tmp_path / "ohne.jsonl", [])),
        ],
        filters=WITHOUT_QUALITY_FILTERS,
    )
    out = tmp_path / "ds"
    out.mkdir()
    stats = curate(section, out)
    assert stats["licence_from_source"] == {"land": {licence: 1}, "gesetze": {licence: 2}}
    assert stats["empty_sources"] == ["ohne"]
    exclusions = {e["id"]: e for e in _exclusions(out)}
    assert exclusions["land-002"]["detail"].endswith("; did you mean DL-DE-BY-2.0?")
    assert exclusions["land-003"]["detail"].endswith("; did you mean CC-BY-4.0?")


def curated_folder(tmp_path: Path, folder: Path, *options: str) -> str:
    """What `data curate FOLDER` into `tmp_path/ds` (CC0-1.0, no text filters) says."""
    config = tmp_path / "config.toml"
    config.write_text(NO_FILTERS, "utf-8")
    args = ("data", "curate", folder, "--out", tmp_path / "ds", "--license", "CC0-1.0")
    result = invoke(*options, *args, "--config", config)
    assert result.exit_code == 0, result.output
    return " ".join(result.stderr.split())


def _exclusions(out: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(out / "exclusions.parquet").to_pylist()


def test_a_source_name_in_brackets_is_said_as_it_is_not_read_as_markup(tmp_path: Path) -> None:
    """A folder `akten[entwurf]` was said as „akten“: the summary's lines went to the console
    unescaped, and rich took `[entwurf]` for a style."""
    folder = tmp_path / "akten[entwurf]"
    folder.mkdir()
    for i, doc in enumerate(open_documents(2, seed=3, prefix="akte")):
        (folder / f"a{i}.md").write_text(doc["text"], "utf-8")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4\n")
    said = curated_folder(tmp_path, folder)
    assert "Quelle „akten[entwurf]“: 1 Datei nicht gelesen" in said, said
    assert "der Quelle „akten[entwurf]“: CC0-1.0" in said, said
