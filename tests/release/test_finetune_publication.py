"""A model fine-tuned from a foreign base on a curated dataset releases that dataset's data
statement (`data publish`, then `release --finetuned … --publication`): beside the
fine-tuning data, its publication in the lineage, rendered again by `verify` from the
records the bundle holds, and counted by the rating as the fine-tune's data card (the model
has one where its base publishes its own too). A publication of other data is refused, and a
release without one says how to make it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.release.manifest import write_manifest
from gemeingut.release.verify import verify_bundle
from tests.release.test_finetune_release import base_folder, fine_tune, rating, release
from tests.release.test_verify_data_statement_rendered import PUBLICATION
from tests.test_cli import invoke

STATEMENT = "training-data/finetuning/DATA_STATEMENT.md"


def curated_fine_tune(root: Path, base: Path, dataset: str) -> Path:
    """`base` fine-tuned (merged) on the curated dataset artifact `dataset`."""
    tuned = root / "tuned"
    result = invoke(
        "model", "finetune", base, "--data", dataset, "--out", tuned, "--steps", "2",
        "--eval-every", "2", "--merge", "--license", "Apache-2.0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return tuned


def published(root: Path, dataset: str) -> Path:
    """`gemeingut data publish` of `dataset`, as a user runs it."""
    info = root / "publication.toml"
    info.write_text(PUBLICATION, encoding="utf-8")
    result = invoke("data", "publish", dataset, "--info", info, "--out", root / "pub")
    assert result.exit_code == 0, result.output
    return root / "pub"


@pytest.fixture(scope="module")
def tuned_and_published(tiny_build, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("tuned-published")
    dataset = tiny_build["dataset"]["path"]
    return curated_fine_tune(root, base_folder(root), dataset), published(root, dataset)


@pytest.fixture(scope="module")
def stated(tuned_and_published, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fine-tune released with the publication of its own dataset."""
    tuned, pub = tuned_and_published
    return release(tmp_path_factory.mktemp("stated"), tuned, "--publication", pub)


def test_the_fine_tunes_statement_is_released_rendered_again_and_counted(
    stated: Path, tuned_and_published
) -> None:
    _tuned, pub = tuned_and_published
    shipped = (stated / STATEMENT).read_text(encoding="utf-8")
    assert shipped == (pub / "DATA_STATEMENT.md").read_text(encoding="utf-8")
    lineage = json.loads((stated / "training-metadata" / "lineage.json").read_text("utf-8"))
    dataset = json.loads(
        (stated / "training-data/finetuning/curated-dataset/dataset.json").read_text("utf-8")
    )
    assert lineage["publication"]["inputs"]["dataset"] == dataset["id"]
    verify_bundle(stated)  # rendered again from the bundle's records: the very statement
    components = {c["name"]: c for c in rating(stated)["mof"]["components"]}
    card = components["Data card"]  # the base publishes no data card: not the model's yet
    assert not card["present"], card
    assert card["detail"].startswith(f"{STATEMENT} describes the fine-tuning data only"), card
    shown = " ".join(invoke("openness", "rate", stated).output.split())
    assert "beschreibt nur die Daten der Feinabstimmung" in shown, shown
    data = [p for p in (stated / "training-data/finetuning").rglob("*") if p.is_file()]
    summary = " ".join((stated / "AI_ACT_SUMMARY.md").read_text(encoding="utf-8").split())
    assert f"training-data/finetuning/, {len(data) - 1} Dateien" in summary  # the data's files
    assert STATEMENT not in summary  # the statement is not "other fine-tuning data" of its own


def test_verify_names_a_changed_line_of_the_fine_tunes_statement(
    stated: Path, tmp_path: Path
) -> None:
    """A number of the statement changed, the MANIFEST re-hashed (unsigned): `verify` names
    the line, what it says and what the fine-tuning data's records give."""
    bundle = Path(shutil.copytree(stated, tmp_path / "bundle"))
    path = bundle / STATEMENT
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(n for n, line in enumerate(lines) if line.startswith("corpus_licence:"))
    lines[number] = 'corpus_licence: "CC-BY-NC-4.0"\n'
    path.write_text("".join(lines), encoding="utf-8")
    write_manifest(bundle)
    result = invoke("verify", bundle)
    said = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert f"{STATEMENT}, Zeile {number + 1}" in said, said
    assert "training-data/finetuning/curated-dataset/stats.json" in said, said


def test_a_statement_without_its_publication_record_is_named(stated: Path, tmp_path: Path) -> None:
    """The publication removed from the lineage (MANIFEST re-hashed): the statement is written
    from no record of the bundle, and `verify` says so rather than taking it for data."""
    bundle = Path(shutil.copytree(stated, tmp_path / "bundle"))
    lineage = bundle / "training-metadata" / "lineage.json"
    record = json.loads(lineage.read_text(encoding="utf-8"))
    del record["publication"]
    lineage.write_text(json.dumps(record, indent=2), encoding="utf-8")
    write_manifest(bundle)
    result = invoke("--lang", "en", "verify", bundle)
    said = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert f"{STATEMENT} is written from no record of the bundle" in said, said
    assert "is not among the data" not in said, said


def test_a_statement_of_another_dataset_is_named(stated: Path, tmp_path: Path) -> None:
    """The publication the lineage records made of another dataset (MANIFEST re-hashed): its
    statement describes data the model never saw, and `verify` names both datasets."""
    bundle = Path(shutil.copytree(stated, tmp_path / "bundle"))
    lineage = bundle / "training-metadata" / "lineage.json"
    record = json.loads(lineage.read_text(encoding="utf-8"))
    trained = record["publication"]["inputs"]["dataset"]
    record["publication"]["inputs"]["dataset"] = "ds-0000000000000000"
    lineage.write_text(json.dumps(record, indent=2), encoding="utf-8")
    write_manifest(bundle)
    said = " ".join(invoke("--lang", "en", "verify", bundle).output.split())
    assert "records the publication of the dataset ds-0000000000000000" in said, said
    assert f"the fine-tuning data is the dataset {trained}" in said, said


def test_an_open_base_and_the_statement_make_the_models_data_card(
    tiny_build, tmp_path: Path
) -> None:
    dataset = tiny_build["dataset"]["path"]
    tuned = curated_fine_tune(tmp_path, base_folder(tmp_path, open_data=True), dataset)
    bundle = release(tmp_path, tuned, "--publication", published(tmp_path, dataset))
    verify_bundle(bundle)
    rated = rating(bundle)
    card = {c["name"]: c for c in rated["mof"]["components"]}["Data card"]
    assert card["present"] and card["evidence"] == [STATEMENT, "base-model: README.md"], card
    assert rated["osaid"]["requirements"]["data_information"]["passed"]


def test_a_release_without_the_statement_says_how_to_make_it(
    tuned_and_published, tmp_path: Path
) -> None:
    tuned, _pub = tuned_and_published
    result = invoke(
        "release", "--finetuned", tuned, "--name", "x", "--out", tmp_path / "plain",
        "--license", "Apache-2.0",
    )  # fmt: skip
    said = " ".join(result.stderr.split())
    assert result.exit_code == 0, result.output
    assert "gemeingut data publish DATASET" in said and "--publication PUB" in said, said
    assert not (tmp_path / "plain" / "bundle" / STATEMENT).exists()


def test_a_publication_of_other_data_is_refused(tuned_and_published, tmp_path: Path) -> None:
    """A fine-tune on JSONL files has no dataset a statement could describe: refused before
    anything is written, naming what was given."""
    _tuned, pub = tuned_and_published
    plain = fine_tune(tmp_path, base_folder(tmp_path), "--merge", "--license", "Apache-2.0")
    result = invoke(
        "--lang", "en", "release", "--finetuned", plain, "--name", "x", "--out",
        tmp_path / "other", "--publication", pub,
    )  # fmt: skip
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, result.output
    assert "was not fine-tuned on a curated dataset artifact" in said, said
    assert not (tmp_path / "other").exists()


def test_a_fine_tune_with_its_statement_is_reproduced(
    stated: Path, tuned_and_published, tmp_path: Path
) -> None:
    """`reproduce` publishes the curated dataset again from the settings the lineage keeps
    and gets the same release, its statement included."""
    base = tuned_and_published[0].parent / "base"
    again = ("--workspace", tmp_path / "again", "--base", base, "--json")
    result = invoke("reproduce", stated.parent, *again)
    assert result.exit_code == 0, result.output
    rows = {row["role"]: row for row in json.loads(result.stdout)["artifacts"]}
    assert all(row["equal"] and row["recorded_id"] == row["rebuilt_id"] for row in rows.values())
    assert "release" in rows, rows
