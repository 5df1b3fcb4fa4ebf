"""What a bundle's folders and hard links mean to `verify`.

An empty folder is content no MANIFEST line lists (a name a reader sees, "model/nur-für-
forschung/", that no signature covers), like an extra file: named, the outermost of a tree of
empty folders once, and never left by a release (a paper's empty subfolder is not carried).
A hard link is a second name of a file: each name is a regular file whose bytes are hashed
against its own MANIFEST line (as OpenSSF model-signing hashes each name), so it is accepted;
bytes changed through a name outside the bundle are named as changed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gemeingut.cli import app
from gemeingut.errors import VerifyError
from gemeingut.i18n import text
from gemeingut.release.manifest import manifest_problems, read_manifest, write_manifest
from gemeingut.release.verify import verify_bundle
from tests.release.test_verify_tampered_plainly import _problem_lines, _verify, runner


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
