"""`openness rate` on what `model finetune` wrote knows the licence of the data it was tuned on
from the folder's own records (the licence given with files, the documents of a curated
dataset), says why where they give none, and a fine-tune's release without a paper says so of
the release itself, not only of its base."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gemeingut.i18n import text
from gemeingut.release.openness.foreign import rate_folder
from tests.corpus import open_documents, write_jsonl
from tests.release.test_openness_rate_finetune import base_folder, fine_tune
from tests.test_cli import invoke

SHARDS = "data/curated-dataset/shards/"


@pytest.fixture(scope="module")
def curated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A foreign base fine-tuned (merged) on a curated dataset of CC0 documents, with no
    --data-license: the licences are those its documents carry."""
    root = tmp_path_factory.mktemp("curated")
    docs = write_jsonl(root / "docs.jsonl", open_documents(30))
    made = invoke("data", "curate", docs, "--out", root / "ds", "--workers", "1")
    assert made.exit_code == 0, made.output
    tuned = root / "tuned"
    result = invoke(
        "model", "finetune", base_folder(root), "--data", root / "ds", "--out", tuned,
        "--steps", "2", "--merge",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return tuned


def _rows(result: dict) -> dict[str, dict]:
    return {row["name"]: row for row in result["mof"]["components"]}


def _documents(tuned: Path) -> int:
    return sum(pq.read_metadata(p).num_rows for p in (tuned / SHARDS).glob("*.parquet"))


def test_a_fine_tune_on_a_curated_dataset_has_the_licence_its_documents_carry(
    curated: Path,
) -> None:
    result = rate_folder(curated)
    assert result["licenses"]["data"] == "CC0-1.0"
    assert "data" not in result["licenses_unknown"]
    assert _rows(result)["Datasets"]["license"] == "CC0-1.0"
    data = result["mof_document"]["release"]["license"]["data"]
    assert data == {"name": "CC0-1.0", "path": SHARDS}
    tuning = result["osai_index"]["datasources_endmodel"]
    dataset = json.loads((curated / "data/curated-dataset/dataset.json").read_text("utf-8"))["id"]
    assert tuning["class"] == "open"
    assert text(tuning["notes"]) == (
        "Feinabstimmungsdaten im Ordner unter einer offenen Lizenz: die "
        f"{_documents(curated)} Dokumente des kuratierten Datensatzes {dataset}, auf dem "
        f"feinabgestimmt wurde ({SHARDS}), stehen unter CC0-1.0"
    )


def test_a_curated_document_without_a_licence_leaves_it_unknown_and_says_why(
    curated: Path, tmp_path: Path
) -> None:
    """The shards hold the licences; where a document lost its own, none is guessed."""
    tuned = Path(shutil.copytree(curated, tmp_path / "tuned"))
    shard = next((tuned / SHARDS).glob("train-*.parquet"))
    table = pq.read_table(shard)
    licences = table["license"].to_pylist()
    licences[0] = None
    index = table.schema.get_field_index("license")
    pq.write_table(table.set_column(index, "license", pa.array(licences, pa.string())), shard)
    result = rate_folder(tuned)
    assert result["licenses"]["data"] is None
    assert _rows(result)["Datasets"]["license"] is None
    assert text(result["licenses_unknown"]["data"]) == (
        f"ein Dokument des kuratierten Datensatzes in {SHARDS} trägt keine Lizenz: die Lizenz "
        "der Feinabstimmungsdaten ist unbekannt"
    )
    assert result["osai_index"]["datasources_endmodel"]["class"] == "partial"


def test_a_licence_given_with_a_curated_dataset_does_not_cover_its_documents(
    curated: Path, tmp_path: Path
) -> None:
    """The documents carry their own licences: a --data-license recorded beside them is no
    licence of theirs, as the rating of the release bundle reads the same copy."""
    tuned = Path(shutil.copytree(curated, tmp_path / "tuned"))
    artifact = tuned / "artifact.json"
    meta = json.loads(artifact.read_text("utf-8"))
    meta["params"]["data_license"] = "CC-BY-4.0"
    artifact.write_text(json.dumps(meta), encoding="utf-8")
    result = rate_folder(tuned)
    assert result["licenses"]["data"] == "CC0-1.0"  # not "CC-BY-4.0 AND CC0-1.0"
    data = result["mof_document"]["release"]["license"]["data"]
    assert data == {"name": "CC0-1.0", "path": SHARDS}
    (tuned / "data/curated-dataset/dataset.json").write_text("{", encoding="utf-8")
    notes = text(rate_folder(tuned)["osai_index"]["datasources_endmodel"]["notes"])
    assert f"des kuratierten Datensatzes {SHARDS}, auf dem" in notes  # a damaged record


def test_files_given_with_a_licence_are_under_it_as_artifact_json_records(
    tmp_path: Path,
) -> None:
    tuned = fine_tune(tmp_path, base_folder(tmp_path), "--merge")  # --data-license CC0-1.0
    result = rate_folder(tuned)
    assert result["licenses"]["data"] == "CC0-1.0"
    assert "data" not in result["licenses_unknown"]
    data = result["mof_document"]["release"]["license"]["data"]
    assert data == {"name": "CC0-1.0", "path": "artifact.json"}
    assert text(result["osai_index"]["datasources_endmodel"]["notes"]).endswith(
        "artifact.json hält die Lizenz CC0-1.0 fest, die mit den Feinabstimmungsdaten "
        "angegeben wurde (Option --data-license)"
    )


def test_files_given_without_a_licence_are_said_unknown_and_why(tmp_path: Path) -> None:
    data = tmp_path / "antworten.jsonl"
    write_jsonl(
        data, [{"prompt": f"Frage {i}?", "completion": f" Antwort {i}."} for i in range(20)]
    )
    tuned = tmp_path / "tuned"
    result = invoke(
        "model", "finetune", base_folder(tmp_path), "--data", data, "--out", tuned,
        "--steps", "2", "--merge",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rated = rate_folder(tuned)
    assert rated["licenses"]["data"] is None
    why = (
        "die Feinabstimmungsdaten (data/antworten.jsonl) wurden als Dateien ohne Lizenz "
        "übergeben, und artifact.json hält keine fest (mit --data-license feinabstimmen)"
    )
    assert text(rated["licenses_unknown"]["data"]) == why  # not "no training data in the folder"
    tuning = rated["osai_index"]["datasources_endmodel"]
    assert tuning["class"] == "partial" and text(tuning["notes"]).endswith(why)
    shutil.rmtree(tuned / "data")  # no copy of the data either: said so
    assert text(rate_folder(tuned)["licenses_unknown"]["data"]) == (
        "der Ordner enthält keine Kopie der Feinabstimmungsdaten antworten.jsonl, und "
        "artifact.json hält keine Lizenz für sie fest"
    )


def test_a_fine_tunes_release_without_a_paper_says_so_of_the_release(
    curated: Path, tmp_path: Path
) -> None:
    """`release --finetuned` carries no paper: the rating says the bundle holds none, not
    merely that the base publishes none."""
    made = invoke(
        "release", "--finetuned", curated, "--name", "winzig", "--out", tmp_path / "rel",
        "--license", "Apache-2.0",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    bundle = tmp_path / "rel" / "bundle"
    shown = invoke("openness", "rate", bundle, "--json")
    assert shown.exit_code == 0, shown.output
    paper = _rows(json.loads(shown.stdout))["Research paper"]
    assert not paper["present"]
    assert text(paper["detail"], "en") == (
        "this bundle holds no paper about the fine-tuned model, and the base model Winzige "
        "Basis publishes none of its own"
    )
    said = " ".join(invoke("openness", "rate", bundle).output.split())
    assert (
        "dieses Paket enthält unter paper nichts über das feinabgestimmte Modell, und das "
        "Basismodell Winzige Basis veröffentlicht auch nichts Eigenes dazu"
    ) in said, said


def test_the_fmti_rows_of_a_fine_tune_read_the_data_the_eu_index_reads(curated: Path) -> None:
    """Both indices of one rating grade the fine-tuning data from the same copy of it."""
    result = rate_folder(curated)
    rows = {row["indicator"]: row for row in result["fmti"]["indicators"]}
    assert result["osai_index"]["datasources_endmodel"]["class"] == "open"
    sources, licence = rows["Data sources"], rows["Data license"]
    assert sources["met"] and SHARDS in sources["evidence"], sources
    assert licence["met"] and licence["evidence"] == SHARDS, licence
    assert text(licence["detail"]).endswith(f"({SHARDS}), stehen unter CC0-1.0"), licence
