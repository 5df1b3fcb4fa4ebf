"""Documents under MIT, Apache-2.0 or BSD may be passed on only with their licence's text: a
bundle ships it beside the data (`training-data/LICENSES/<SPDX-ID>.txt`, the same in
`test-data/`), the MANIFEST lists it, and `verify` checks it as it checks `model/LICENSE`
(`licence.data-text`): a text cut short or removed is named, with the sources that need it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gemeingut.build import build
from gemeingut.errors import VerifyError
from gemeingut.release.manifest import write_manifest
from gemeingut.release.openness.evidence import collect
from gemeingut.release.openness.licence_reference import coverage
from gemeingut.release.openness.rating import rate
from gemeingut.release.verify import verify_bundle
from tests.conftest import write_tiny_project
from tests.corpus import write_jsonl
from tests.release.test_finetune_release import base_folder, fine_tune, release

TEXT_ASKED = {"MIT", "Apache-2.0"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny recipe (without its fine-tune) whose JSONL documents are under MIT and
    Apache-2.0 in part: their texts must travel with them; the CC0 and CC-BY-4.0 ones not."""
    root = tmp_path_factory.mktemp("data-licences")
    recipe = write_tiny_project(root / "project")
    docs = [
        json.loads(line)
        for line in (root / "project" / "docs.jsonl").read_text("utf-8").splitlines()
    ]
    for i, doc in enumerate(docs[:40]):
        doc["license"] = "MIT" if i % 2 else "Apache-2.0"
        doc["attribution"], doc["url"] = "Code team", "https://example.org/code"
    write_jsonl(root / "project" / "docs.jsonl", docs)
    text = recipe.read_text("utf-8")
    recipe.write_text(re.sub(r"\[finetune\].*?(?=\[evaluate\])", "", text, flags=re.S), "utf-8")
    summary = build(recipe, root / "workspace")
    return Path(summary["release"]["path"]) / "bundle"


@pytest.fixture
def bundle(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(built, copy)
    return copy


def _licences(folder: Path) -> set[str]:
    """The licences of a data folder's documents, read from its shards."""
    shards = [s for s in folder.glob("*.parquet") if not s.name.startswith("exclusions")]
    return {lic for s in shards for lic in pq.read_table(s)["license"].to_pylist()}


def _check(bundle: Path) -> dict:
    rated = json.loads((bundle / "openness.json").read_text("utf-8"))
    return next(c for c in rated["checks"] if c["id"] == "licence.data-text")


def test_each_data_folder_ships_the_texts_its_documents_ask_for(built: Path) -> None:
    manifest = (built / "MANIFEST").read_text("utf-8")
    for folder in ("training-data", "test-data"):
        held = _licences(built / folder)
        assert held & TEXT_ASKED, (folder, held)  # the fixture puts both into each split
        shipped = {p.stem for p in (built / folder / "LICENSES").glob("*.txt")}
        assert shipped == held & TEXT_ASKED  # none for CC0 or CC-BY-4.0: a link suffices
        for licence in shipped:
            file = f"{folder}/LICENSES/{licence}.txt"
            assert coverage(licence, (built / file).read_text("utf-8")).whole
            assert f"  {file}\n" in manifest
    said = _check(built)
    assert said["passed"] and "training-data/LICENSES/Apache-2.0.txt" in said["detail"], said
    verify_bundle(built)


def test_verify_names_a_data_licence_text_cut_short_then_removed(bundle: Path) -> None:
    licence = bundle / "training-data" / "LICENSES" / "MIT.txt"
    licence.write_text("\n".join(licence.read_text("utf-8").splitlines()[:3]) + "\n", "utf-8")
    write_manifest(bundle)  # re-hashed: only the check of the text itself can tell
    with pytest.raises(VerifyError) as cut:
        verify_bundle(bundle)
    said = str(cut.value)
    assert "licence.data-text" in said and "training-data/LICENSES/MIT.txt" in said, said
    assert "nur einen Teil des Textes von MIT" in said and "docs" in said
    licence.unlink()
    write_manifest(bundle)
    with pytest.raises(VerifyError) as removed:
        verify_bundle(bundle)
    said = str(removed.value)
    assert "keine Datei training-data/LICENSES/MIT.txt" in said and "docs" in said, said


def test_a_document_relicensed_to_mit_after_the_release_is_named(
    tiny_build, tmp_path: Path
) -> None:
    """The tiny bundle's data (CC0, CC-BY-4.0) asks for no text; a shard whose document is
    said to be under MIT afterwards asks for one the bundle does not ship."""
    bundle = tmp_path / "tiny"
    shutil.copytree(Path(tiny_build["release"]["path"]) / "bundle", bundle)
    assert not (bundle / "training-data" / "LICENSES").exists()
    shard = sorted((bundle / "training-data").glob("train-*.parquet"))[0]
    table = pq.read_table(shard)
    licences = ["MIT", *table["license"].to_pylist()[1:]]
    index = table.schema.get_field_index("license")
    pq.write_table(table.set_column(index, "license", pa.array(licences, pa.string())), shard)
    write_manifest(bundle)
    with pytest.raises(VerifyError, match=r"licence\.data-text"):
        verify_bundle(bundle)
    again = next(c for c in rate(collect(bundle))["checks"] if c["id"] == "licence.data-text")
    assert not again["passed"] and again["evidence"] == "training-data/LICENSES/MIT.txt"
    assert "the documents of docs are under MIT" in again["detail"], again


def test_a_fine_tunes_data_under_mit_ships_its_text(tmp_path: Path) -> None:
    """A fine-tune of a foreign base: its data, under the licence stated for it, goes into the
    bundle with that licence's text as well."""

    attribution = ("--data-attribution", "Antwort-Team", "--data-url", "https://example.org/a")
    data = ("--data-license", "MIT", *attribution)
    tuned = fine_tune(tmp_path, base_folder(tmp_path), "--merge", *data)
    bundle = release(tmp_path, tuned)
    file = "training-data/LICENSES/MIT.txt"
    assert coverage("MIT", (bundle / file).read_text("utf-8")).whole
    said = _check(bundle)
    assert said["passed"] and said["evidence"] == file, said
    verify_bundle(bundle)
