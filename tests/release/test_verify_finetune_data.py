"""`verify` checks each fine-tune's data in a bundle against the sha256 its lineage records: a
file changed (with its MANIFEST line, SBOM and SPDX hashes rewritten, as a forger would), added
or removed is named, for the released fine-tune and for an earlier one of a chain."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gemeingut.hashing import sha256_file
from gemeingut.release.manifest import write_manifest
from gemeingut.workspace import load_artifact
from tests.test_cli import invoke


@pytest.fixture
def copied(released_chain: dict, tmp_path: Path) -> dict:
    bundle = tmp_path / "bundle"
    shutil.copytree(released_chain["bundle"], bundle)
    earlier = (
        bundle / "training-data" / "finetuning-earlier" / load_artifact(released_chain["ft1"]).id
    )
    return {
        "bundle": bundle,
        "earlier": earlier,
        "released": bundle / "training-data" / "finetuning",
    }


def _rewritten(bundle: Path, data: Path, old: str, new: str) -> None:
    """`data` changed, and every hash of it in the bundle made to agree."""
    before = sha256_file(data)
    data.write_text(data.read_text("utf-8").replace(old, new), "utf-8")
    for document in ("bom.cdx.json", "spdx.json"):
        path = bundle / document
        path.write_text(path.read_text("utf-8").replace(before, sha256_file(data)), "utf-8")
    write_manifest(bundle)


def _said(bundle: Path) -> str:
    result = invoke("verify", bundle)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


@pytest.mark.parametrize("which", ["earlier", "released"])
def test_a_changed_fine_tuning_data_file_is_named(copied: dict, which: str) -> None:
    data = next(copied[which].glob("*.jsonl"))
    old = "Antwort 3." if which == "earlier" else "Stadtbibliothek"
    _rewritten(copied["bundle"], data, old, "Gefälscht")
    rel = data.relative_to(copied["bundle"]).as_posix()
    said = _said(copied["bundle"])
    assert f"{rel}: sha256 {sha256_file(data)}, doch training-metadata/lineage.json" in said
    assert "für die Daten der Feinabstimmung" in said


def test_an_added_or_removed_earlier_data_file_is_named(copied: dict) -> None:
    bundle, earlier = copied["bundle"], copied["earlier"]
    data = next(earlier.glob("*.jsonl"))
    shutil.move(data, earlier / "renamed.jsonl")
    write_manifest(bundle)
    said = _said(bundle)
    assert f"verzeichnet {data.relative_to(bundle).as_posix()} unter den Daten" in said
    assert "doch dem Paket fehlt diese Datei" in said
    assert f"{(earlier / 'renamed.jsonl').relative_to(bundle).as_posix()} gehört nicht zu" in said
