"""What a bundle's folders and hard links mean to `verify`.

An empty folder is content no MANIFEST line lists (a name a reader sees, "model/nur-für-
forschung/", that no signature covers), like an extra file: named, the outermost of a tree of
empty folders once, and never left by a release (a paper's empty subfolder is not carried).
A hard link is a second name of a file: each name is a regular file whose bytes are hashed
against its own MANIFEST line (as OpenSSF model-signing hashes each name), so it is accepted;
bytes changed through a name outside the bundle are named as changed.

A bundle that a gemeingut from before that rule wrote may hold an empty folder it copied:
where the bundle's own source (training-code/) does not name empty folders and its lineage names
that source's code, each is said beside the verdict, which it does not fail (model-signing and
in-toto pass over folders too); a lineage that names other code than the source is no such
bundle."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gemeingut.cli import app
from gemeingut.errors import VerifyError
from gemeingut.i18n import text
from gemeingut.release.manifest import (
    empty_folder,
    manifest_problems,
    read_manifest,
    write_manifest,
)
from gemeingut.release.verify import verify_bundle
from gemeingut.release.verify_snapshot import snapshot_code, source_says
from tests.release.documents_again import documents_rendered_again
from tests.release.test_verify_tampered_plainly import _problem_lines, _verify, runner

NAMED = "is an empty folder, which no line of the MANIFEST lists"
EXTRA = (
    "– zusätzlich: model/nur-für-forschung/ ist ein leerer Ordner, den keine Zeile des "
    "MANIFEST nennt"
)


def _built_by(bundle: Path, code: str) -> None:
    """The bundle's lineage naming `code` for every artifact, its documents saying so."""
    path = bundle / "training-metadata" / "lineage.json"
    lineage = json.loads(path.read_text(encoding="utf-8"))
    for meta in lineage.values():
        meta["code"] = code
    path.write_text(json.dumps(lineage, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    documents_rendered_again(bundle)


def _written_before_empty_folders_were_refused(bundle: Path) -> str:
    """The bundle as a gemeingut that did not yet name empty folders wrote it: its own source
    without those words, its lineage and documents naming that source's code; that code."""
    for path in (bundle / "training-code" / "gemeingut").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        if NAMED in source:
            path.write_text(source.replace(NAMED, "is a folder"), encoding="utf-8")
    code = snapshot_code(bundle)
    assert code is not None
    _built_by(bundle, code)
    return code


def test_an_empty_folder_is_named_as_extra(bundle: Path) -> None:
    (bundle / "model" / "nur-für-forschung").mkdir()
    (bundle / "leer" / "auch-leer").mkdir(parents=True)
    code, said = _verify(bundle)
    assert code == 1, said
    assert _problem_lines(said) == [
        "– zusätzlich: leer/ ist ein leerer Ordner, den keine Zeile des MANIFEST nennt",
        "– zusätzlich: model/nur-für-forschung/ ist ein leerer Ordner, den keine Zeile des "
        "MANIFEST nennt",
    ], said
    record = json.loads(runner.invoke(app, ["verify", str(bundle), "--json"]).stdout)
    assert [(p["kind"], p["file"]) for p in record["problems"]] == [
        ("extra", "leer"),
        ("extra", "model/nur-für-forschung"),
    ], record


def test_a_folder_that_holds_only_an_extra_file_is_named_by_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    write_manifest(tmp_path)
    (tmp_path / "neu").mkdir()
    (tmp_path / "neu" / "b.txt").write_text("y")
    said = [text(p, "en") for p in manifest_problems(tmp_path, read_manifest(tmp_path))]
    assert said == ["extra: neu/b.txt"], said


def test_a_folder_emptied_of_its_listed_files_is_named_by_them(tmp_path: Path) -> None:
    (tmp_path / "daten").mkdir()
    (tmp_path / "daten" / "a.parquet").write_text("x")
    write_manifest(tmp_path)
    (tmp_path / "daten" / "a.parquet").unlink()
    said = [text(p, "en") for p in manifest_problems(tmp_path, read_manifest(tmp_path))]
    assert said == ["missing: daten/a.parquet"], said


def test_the_manifest_writer_leaves_no_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "paper" / "abbildungen").mkdir(parents=True)
    (tmp_path / "paper" / "paper.md").write_text("# Paper\n")
    assert write_manifest(tmp_path) == 1
    assert not (tmp_path / "paper" / "abbildungen").exists()
    assert manifest_problems(tmp_path, read_manifest(tmp_path)) == []


def test_a_hard_link_is_checked_by_its_bytes_as_any_file(bundle: Path, tmp_path: Path) -> None:
    listed = read_manifest(bundle)
    by_digest: dict[str, list[str]] = {}
    for rel, digest in listed.items():
        by_digest.setdefault(digest, []).append(rel)
    first, second = next(paths for paths in by_digest.values() if len(paths) > 1)[:2]
    os.unlink(bundle / second)
    os.link(bundle / first, bundle / second)  # one file, two listed names
    assert verify_bundle(bundle).files == len(listed)
    outside = tmp_path / "outside"
    os.link(bundle / first, outside)  # a third name, outside the bundle
    with outside.open("r+b") as file:
        file.write(b"#")  # both names inside now hold other bytes
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    said = str(failed.value)
    assert f"geändert: {first}" in said and f"geändert: {second}" in said, said


def test_this_versions_source_names_empty_folders_as_verify_does(bundle: Path) -> None:
    """What tells a writer that refuses empty folders from one that did not yet."""
    assert NAMED in empty_folder("model/x").msgid
    assert source_says(bundle, empty_folder("model/x").msgid)


def test_an_empty_folder_an_older_writer_left_is_said_not_failed(bundle: Path) -> None:
    older = _written_before_empty_folders_were_refused(bundle)
    assert verify_bundle(bundle).notes == ()  # as that version released it
    (bundle / "model" / "nur-für-forschung").mkdir()
    code, said = _verify(bundle)
    assert code == 0, said
    assert (
        "model/nur-für-forschung/ ist ein leerer Ordner, den keine Zeile des MANIFEST nennt: "
        f"kein Hash und keine Signatur deckt seinen Namen; {older}, das das Paket schrieb, ließ "
        "leere Ordner noch nicht weg"
    ) in " ".join(said.split()), said
    record = json.loads(runner.invoke(app, ["verify", str(bundle), "--json"]).stdout)
    assert record["ok"] is True and record["problems"] == [], record
    [note] = record["notes"]
    assert note.startswith("model/nur-für-forschung/ is an empty folder"), note


def test_an_empty_folder_fails_where_the_lineage_alone_names_an_older_writer(
    bundle: Path,
) -> None:
    """The bundle's source is this version's, which names empty folders: a lineage rewritten
    to another code does not make its empty folder an older writer's."""
    _built_by(bundle, "gemeingut 0.1.0+src.d15432938f")
    (bundle / "model" / "nur-für-forschung").mkdir()
    code, said = _verify(bundle)
    assert code == 1 and EXTRA in _problem_lines(said), said
