"""A fine-tune on a curated dataset in a folder of the user's own name (`data curate --out
meine-daten`, not the workspace's `ds-<id>`): `reproduce` puts the dataset together again
under that name, which the fine-tune's record keeps, and gets the same fine-tune and
release. Its FMTI rows on filtering and personal data are read from the dataset's record
(verify renders them again), and its data statement deleted is named as missing, first."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.release.manifest import write_manifest
from gemeingut.release.verify import verify_bundle
from tests.release.test_finetune_publication import STATEMENT, curated_fine_tune, published
from tests.release.test_finetune_release import base_folder, release
from tests.test_cli import invoke


@pytest.fixture(scope="module")
def own_folder(tiny_build, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The released bundle (with its data statement) and the base it was fine-tuned from."""
    root = tmp_path_factory.mktemp("own-folder")
    dataset = root / "meine-daten"  # the folder `data curate --out meine-daten` writes
    shutil.copytree(tiny_build["dataset"]["path"], dataset)
    base = base_folder(root)
    tuned = curated_fine_tune(root, base, str(dataset))
    return release(root, tuned, "--publication", published(root, str(dataset))), base


def test_a_dataset_in_a_folder_of_its_own_name_is_reproduced(
    own_folder: tuple[Path, Path], tmp_path: Path
) -> None:
    bundle, base = own_folder
    lineage = json.loads((bundle / "training-metadata/lineage.json").read_text("utf-8"))
    assert lineage["finetune"]["stats"]  # the fine-tune's record names the user's folder
    record = json.loads((bundle / "training-metadata/finetune.json").read_text("utf-8"))
    assert record["data"]["path_name"] == "meine-daten", record["data"]
    again = ("--workspace", tmp_path / "again", "--base", base, "--json")
    result = invoke("reproduce", bundle.parent, *again)
    assert result.exit_code == 0, result.output
    rows = {row["role"]: row for row in json.loads(result.stdout)["artifacts"]}
    assert set(rows) == {"finetune", "release"}, rows
    assert all(row["equal"] and row["recorded_id"] == row["rebuilt_id"] for row in rows.values())


RECORD = "training-data/finetuning/curated-dataset/dataset.json"


def test_the_fmti_rows_on_filtering_are_read_from_the_datasets_record(
    own_folder: tuple[Path, Path], tmp_path: Path
) -> None:
    """The curated dataset ran quality filters and the PII scrubber (its record's blocks): the
    rows say so with that record as evidence; a row flipped back (MANIFEST re-hashed) is
    rendered again by `verify` and named."""
    bundle, _base = own_folder
    fmti = json.loads((bundle / "fmti.json").read_text("utf-8"))
    rows = {row["indicator"]: row for row in fmti["indicators"]}
    for name in ("Harmful data filtration", "Personal information in data"):
        assert rows[name]["met"], rows[name]
        assert rows[name]["evidence"].startswith(RECORD), rows[name]
    assert rows["Personal information in data"]["evidence"] == f"{RECORD} (pii_scrubber)"
    assert rows["Harmful data filtration"]["evidence_de"] == f"{RECORD} (Blöcke des Datensatzes)"
    verify_bundle(bundle)
    copy = Path(shutil.copytree(bundle, tmp_path / "bundle"))
    (copy / "bundle.sig").unlink(missing_ok=True)
    tampered = json.loads((copy / "fmti.json").read_text("utf-8"))
    row = next(r for r in tampered["indicators"] if r["indicator"] == "Harmful data filtration")
    row["met"] = False
    tampered["met"] -= 1
    (copy / "fmti.json").write_text(json.dumps(tampered, indent=2, ensure_ascii=False) + "\n")
    write_manifest(copy)
    result = invoke("--lang", "en", "verify", copy)
    assert result.exit_code == 1, result.output
    assert "fmti.json" in result.output, result.output


def test_a_deleted_data_statement_is_named_as_missing_first(
    own_folder: tuple[Path, Path], tmp_path: Path
) -> None:
    """DATA_STATEMENT.md deleted with its MANIFEST line and the signature: `verify` says the
    lineage names a publication whose statement is missing, before anything that follows."""
    bundle, _base = own_folder
    copy = Path(shutil.copytree(bundle, tmp_path / "bundle"))
    (copy / "bundle.sig").unlink(missing_ok=True)
    (copy / STATEMENT).unlink()
    manifest = copy / "MANIFEST"
    lines = manifest.read_text("utf-8").splitlines(keepends=True)
    manifest.write_text("".join(line for line in lines if STATEMENT not in line), "utf-8")
    lineage = json.loads((copy / "training-metadata/lineage.json").read_text("utf-8"))
    publication = lineage["publication"]["id"]
    for lang, words in (
        ("en", f"names the publication {publication}, but its data statement {STATEMENT} is "
               "missing from the bundle"),
        ("de", f"nennt die Veröffentlichung {publication}, aber ihr Data Statement "
               f"{STATEMENT} fehlt im Paket"),
    ):  # fmt: skip
        result = invoke("--lang", lang, "verify", copy)
        said = " ".join(result.output.split())
        assert result.exit_code == 1, result.output
        assert words in said, said
        later = [said.find(name) for name in ("fmti.json", "openness.json", "README.md")]
        assert all(at == -1 or at > said.index(words) for at in later), said
